"""alife: neutral networks of evolved and trained systems."""
__version__ = "0.2.0"   # the single source: pyproject.toml reads it (tool.setuptools.dynamic)
