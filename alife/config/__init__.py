"""The strict-TOML toolkit that every alife config is built with.

This package knows nothing of HNCAs, tasks or algorithms and imports nothing
from the rest of alife: each config lives with what it configures
(:mod:`alife.evolve.config`, :mod:`alife.neutral.config`,
:mod:`alife.bridge.config`; the shared ``[model]`` table in
:mod:`alife.nca.config`, the ``[task]`` table in :mod:`alife.task_config`)
and uses the pieces here:

* reading: :func:`read_config_text`, :func:`parse_toml` (syntax errors as one line);
* checking: :class:`TopLevel`, :func:`get_table`, :func:`check_keys`,
  :func:`check_kind` (``bool`` is not an integer, an integer is accepted where
  a float is expected and stored as a float, floats are finite, integers fit
  in 64 bits), :func:`check_name`, :func:`required_int`, :func:`resolve_path`;
* errors: validation raises :class:`Invalid` (a key path and a reason), and
  ``with reporting(name):`` turns it into a :class:`ConfigError` whose message
  is one line that starts with the file name and names the key::

      evolve.toml: [model] steps: must be >= 1, got 0
      evolve.toml: unknown key [algorithm] pop_szie; did you mean pop_size?

* messages: :func:`unknown_key` (with a suggestion, or the registry entries
  that do take the key, or the config's own top-level key it was meant to be),
  :func:`unknown_name`, :func:`show_value`, :func:`got`, :func:`key_path`;
* read-only tables: :class:`FrozenDict`;
* writing: :func:`dump_toml`, the canonical writer.

The canonical text of a config
------------------------------
Every config (evolution, neutral analysis, bridge) has one canonical TOML
text, which run and result files store and which a resume compares.  The
policy is the same for all three:

* it is :func:`dump_toml` of the validated config as nested dicts: top-level
  keys first, then the tables, both in the config's schema order; inside a
  table, a registry name (``preset``, ``name``, ``kind``) first, then the keys
  in the schema's (or library's) parameter order; values as validated (an
  integer given for a float is written as a float, arrays inline, floats with
  ``repr``, ``\\n`` line ends);
* a file path a config names is resolved against the config file's folder,
  so ``loads(dumps(c)) == c`` wherever the text is read back;
* it is a function of the validated config: equal configs give byte-identical
  text, dumping again gives the same text, and reading it back gives an equal
  config (each config's tests check both).

Which keys are written follows the schema: a table whose defaults are library
defaults (``[model]``, ``[algorithm]``, ``[mutation]``, the neutral tables)
keeps the keys as given, because TOML has no ``null`` for defaults such as
``seed_cell = None``; the bridge schema, whose every default is a TOML value,
writes every key.  Run and result files already written hold these texts, so
they are fixed (tests compare golden strings).
"""
from .checks import (INT64, TopLevel, check_keys, check_kind, check_name, get_table, is_int,
                     kind_of, library_error, required_int, resolve_path)
from .errors import ConfigError, Invalid, one_line, reporting
from .frozen import FrozenDict
from .messages import (got, key_path, show_key, show_value, suggest, type_name, unknown_key,
                       unknown_name, unknown_table)
from .toml import (BARE_KEY, canonical_table, dump_toml, parse_toml, read_config_text,
                   toml_key, toml_string, toml_value)

__all__ = [
    # errors
    "ConfigError", "Invalid", "one_line", "reporting",
    # reading and writing
    "parse_toml", "read_config_text", "dump_toml", "canonical_table", "toml_value",
    "toml_string", "toml_key", "BARE_KEY",
    # checks
    "INT64", "TopLevel", "is_int", "check_kind", "kind_of", "get_table", "check_keys",
    "check_name", "required_int", "library_error", "resolve_path",
    # messages
    "type_name", "show_value", "show_key", "got", "key_path", "suggest", "unknown_key",
    "unknown_name", "unknown_table",
    # tables
    "FrozenDict",
]
