"""Spreadsheet formula injection: neutralise text on export, undo it on import.

A spreadsheet runs a cell as a formula when its text starts with ``=``, ``+``, ``-`` or ``@``, and some
also when it starts with a tab or a carriage return. Following the OWASP guidance on CSV injection
(https://owasp.org/www-community/attacks/CSV_Injection), every *text* cell that starts with one of
those characters is written with a single quote in front (``'=HYPERLINK(…)``); numbers are never
touched, so ``-5`` stays a number.

The quote is Excel's own "this is text" marker, so on import a leading quote before one of those
characters is removed again. To keep export → import exact, text that already starts with quotes
followed by such a character gets one quote more on export, and exactly one is removed on import:
:func:`restore` is the inverse of :func:`neutralise` for every string.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)."""
_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise(text: str) -> str:
    """``text`` safe to put in a spreadsheet cell: a single quote in front if it could run as a formula.

    >>> neutralise("=1+1"), neutralise("-5"), neutralise("'s-Gravenhage"), neutralise("Den Haag")
    ("'=1+1", "'-5", "'s-Gravenhage", 'Den Haag')
    """
    return "'" + text if _NEEDS_QUOTE.match(text) else text


def restore(value: Any) -> Any:
    """The inverse of :func:`neutralise` for a cell read back: one leading quote removed before a formula
    character; any other value (numbers, dates, other text) unchanged."""
    if isinstance(value, str) and _QUOTED.match(value):
        return value[1:]
    return value
