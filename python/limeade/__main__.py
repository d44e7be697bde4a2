"""``python -m limeade``: see :mod:`limeade._cli`."""

import sys

from limeade._cli import main

if __name__ == "__main__":
    sys.exit(main())
