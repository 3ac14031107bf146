"""Build script: the metadata is in pyproject.toml; this file lists the packages
and ships the example configs and reference results.

The examples live in ``experiments/`` (where the experiment scripts write
them, next to those scripts), outside the ``alife`` package.  The wheel
carries the files of :data:`SHIPPED` as ``alife/_examples/<same path>``,
which :mod:`alife.examples` reads through :mod:`importlib.resources`; the
sdist carries them at their source paths.  An editable install copies
nothing: :mod:`alife.examples` then reads ``experiments/`` itself.
"""
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py as _build_py

#: Paths below experiments/ that the wheel ships (alife.examples.EXAMPLES and
#: REFERENCES name the same files; a test checks the two lists agree).
SHIPPED = (
    "smoke/evolve.toml",
    "smoke/neutral.toml",
    "bridge/digits.toml",
    "bridge/hnca_pairs.json",
    "hnca_neutral/results.json",
    "rna/phenotypes.csv",
)


class build_py(_build_py):
    """build_py that also copies :data:`SHIPPED` into ``alife/_examples``."""

    def _shipped(self):
        return [(Path("experiments", rel), Path(self.build_lib, "alife", "_examples", rel))
                for rel in SHIPPED]

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for src, dst in self._shipped():
            self.mkpath(str(dst.parent))
            self.copy_file(str(src), str(dst))

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        return [*outputs, *(str(dst) for _, dst in self._shipped())]

    def get_source_files(self):          # what the sdist must contain
        return [*super().get_source_files(), *(str(src) for src, _ in self._shipped())]


setup(packages=find_packages(include=["alife", "alife.*"]), cmdclass={"build_py": build_py})
