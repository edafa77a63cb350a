"""``python -m samenhier``: see :mod:`samenhier.cli`."""

import os
import sys

from samenhier.cli import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # The reader stopped early (e.g. `report --format json | head`): that is not an error of ours.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 0
sys.exit(code)
