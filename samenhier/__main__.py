"""``python -m samenhier`` (the same as the ``samenhier`` console script): see :mod:`samenhier.cli`."""

from samenhier.cli import run_main

run_main()
