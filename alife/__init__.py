"""alife: neutral networks of evolved and trained systems."""
__version__ = "0.1.0"
