"""``python -m alife`` runs the ``alife`` command (:func:`alife.cli.main`)."""
import sys

from .cli import main

sys.exit(main())
