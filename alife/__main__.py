"""``python -m alife`` runs the ``alife`` command (:func:`alife.cli.main`)."""
import sys

from .cli import main

if __name__ == "__main__":      # importing this module (e.g. walking the package) runs nothing
    sys.exit(main())
