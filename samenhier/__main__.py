"""``python -m samenhier``: see :mod:`samenhier.cli`."""

import sys

from samenhier.cli import main

sys.exit(main())
