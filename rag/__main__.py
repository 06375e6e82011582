"""``python -m rag`` runs the ``rag`` command line (see :mod:`rag.cli`)."""

import sys

from .cli import main

sys.exit(main())
