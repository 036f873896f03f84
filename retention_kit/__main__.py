"""``python -m retention_kit report ...``: the same command line as ``retention-kit``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
