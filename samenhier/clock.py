"""The one clock of the product: every figure "as of today" asks :func:`today`."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def today() -> dt.date:
    """Today's date in Europe/Amsterdam, or ``SAMENHIER_TODAY`` (``YYYY-MM-DD``) when that is set.

    Raises:
        ValueError: ``SAMENHIER_TODAY`` is set but is not an ISO date.
    """
    fixed = os.environ.get("SAMENHIER_TODAY", "").strip()
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError as exc:
            raise ValueError(f"SAMENHIER_TODAY={fixed!r} is not a date in the form YYYY-MM-DD") from exc
    return dt.datetime.now(AMSTERDAM).date()


def now_utc() -> dt.datetime:
    """The current moment, time-zone aware in UTC (as stored in the audit trail and on accounts)."""
    return dt.datetime.now(dt.UTC)
