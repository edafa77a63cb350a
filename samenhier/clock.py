"""The one clock of the product: every figure "as of today" asks :func:`today`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from samenhier.settings import get_settings

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def today() -> dt.date:
    """Today's date in Europe/Amsterdam, or the setting ``SAMENHIER_TODAY`` (``YYYY-MM-DD``) when that is set.

    Raises:
        samenhier.settings.SettingsError: (a ValueError) a setting, e.g. ``SAMENHIER_TODAY``, does not fit.
    """
    fixed = get_settings().today
    return fixed if fixed is not None else dt.datetime.now(AMSTERDAM).date()


def now_utc() -> dt.datetime:
    """The current moment, time-zone aware in UTC (as stored in the audit trail and on accounts)."""
    return dt.datetime.now(dt.UTC)
