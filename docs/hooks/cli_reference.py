"""The command-line reference page, written from the argparse parser itself.

:func:`cli_markdown` walks :func:`alife.cli.build_parser` (every subcommand,
at any depth) and writes one section per command: its one-line help, the
usage line argparse prints, and a table of its arguments (flags and
aliases, metavar, choices, default, whether required, help).  The site
build calls it, so the page cannot drift from the parser.
"""
from __future__ import annotations

import argparse

#: Width of the usage lines (argparse would otherwise read the terminal's).
USAGE_WIDTH = 76


def _subparsers(parser: argparse.ArgumentParser):
    """``(name, help, subparser)`` of every subcommand of ``parser``, in order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            seen = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:          # an alias of a command already listed
                    continue
                seen.add(id(sub))
                yield name, helps.get(name) or "", sub


def _usage(parser: argparse.ArgumentParser) -> str:
    fmt = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    fmt.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return fmt.format_help().strip()


def _cell(text) -> str:
    """Text for markdown: one line, with the characters markdown would act on escaped."""
    text = " ".join(str(text).split())
    for char, escaped in (("\\", "\\\\"), ("|", "\\|"), ("*", "\\*"), ("_", "\\_"),
                          ("<", "&lt;"), ("`", "\\`")):
        text = text.replace(char, escaped)
    return text


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    fmt = argparse.HelpFormatter(parser.prog)
    return fmt._expand_help(action)     # fills %(default)s, %(choices)s, ...


def _argument(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    takes_value = action.nargs != 0
    metavar = ""
    if takes_value:
        if action.metavar is not None:
            metavar = action.metavar if isinstance(action.metavar, str) else " ".join(action.metavar)
        elif action.choices is None:
            metavar = action.dest.upper()
    return ", ".join(f"`{o} {metavar}`" if metavar else f"`{o}`" for o in action.option_strings)


def _default(action: argparse.Action) -> str:
    if action.required or not action.option_strings and action.nargs not in ("?", "*"):
        return "required"
    if action.nargs == 0 or action.default in (None, argparse.SUPPRESS):
        return ""
    return f"`{action.default}`"


def _rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        choices = ", ".join(f"`{c}`" for c in action.choices) if action.choices else ""
        rows.append(f"| {_argument(action)} | {_cell(_help(parser, action))} | {choices} "
                    f"| {_default(action)} |")
    return rows


def _section(parser: argparse.ArgumentParser, title: str, summary: str, level: int) -> list[str]:
    out = [f"{'#' * level} `{title}`", ""]
    text = summary or parser.description or ""
    if text:
        out += [_cell(text)[:1].upper() + _cell(text)[1:] + ("" if text.rstrip().endswith(".") else "."), ""]
    if parser.description and summary and parser.description != summary:
        out += [_cell(parser.description), ""]
    out += ["```text", _usage(parser), "```", ""]
    rows = _rows(parser)
    if rows:
        out += ["| argument | what it does | choices | default |", "| --- | --- | --- | --- |",
                *rows, ""]
    if parser.epilog:
        out += [parser.epilog, ""]
    for name, help_, sub in _subparsers(parser):
        out += _section(sub, f"{title} {name}", help_, min(level + 1, 4))
    return out


def cli_markdown(parser: argparse.ArgumentParser | None = None) -> str:
    """The whole reference page as markdown (``parser`` defaults to
    :func:`alife.cli.build_parser`)."""
    if parser is None:
        from alife.cli import build_parser
        parser = build_parser()
    commands = [name for name, _, _ in _subparsers(parser)]
    head = [
        "# Command-line reference",
        "",
        "This page is generated from the argument parser of the `alife` command "
        "each time the documentation is built, so it always matches the installed "
        "version. `alife COMMAND --help` prints the same information in a terminal.",
        "",
        "Commands: " + ", ".join(f"[`{c}`](#alife-{c})" for c in commands) + ".",
        "",
        "Every command exits with status 0 on success and 2 on bad input (a missing "
        "file, a wrong config key, an output that would be overwritten without "
        "`--force`), after printing one line that names the problem.",
        "",
    ]
    body = _section(parser, parser.prog, "", 2)
    return "\n".join(head + body).rstrip() + "\n"
