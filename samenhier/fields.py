"""One set of field rules for forms, imports and services: what a single value must look like.

Every entry point applies these same functions: the write services (the Beheer forms through
:class:`samenhier.services.record_checks.Checker`, the meeting, survey and check-in services) report a broken rule as a
:class:`~samenhier.services.common.FieldError` at the form field; the import
(:mod:`samenhier.io.rows`) reports it with sheet, row, column and value. Rules between records (a
match and its group) are in :mod:`samenhier.consistency`.

Each check raises :class:`FieldRuleError` with a stable ``code`` (i18n ``validation.<code>`` for forms,
``import.error.<code>`` for imports) and its parameters:

- ``too_long``: names, codes and short text at most :data:`MAX_NAME` characters, languages
  :data:`MAX_LANGUAGES`, free text (notes, check-ins) :data:`MAX_TEXT`, a reason :data:`MAX_REASON`;
- ``control_character``: C0 control characters (U+0000–U+001F) and DEL are refused everywhere, except
  tab and line break in free text (notes); ``bidi_override``: the right-to-left override U+202E and the
  other bidirectional embeddings/isolates (U+202A–U+202E, U+2066–U+2069) are refused in names and codes,
  where they make a code read backwards (``N0084`` shown as ``4800N``);
- ``email``: syntax per *email-validator* (no DNS lookup); ``phone``: a Dutch number (see
  :func:`is_dutch_phone_number`);
- ``code_format``: letters, digits, ``. _ -``, at most 20, starting with a letter or digit;
- ``future_date``: dates of things that happened are not after today (:func:`samenhier.clock.today`);
- ``household_size``: 1–15 persons (the store's CHECK constraint says the same);
- the numeric bounds that forms and import share: :data:`DURATION_MIN`–:data:`DURATION_MAX` minutes,
  :data:`PRESENT_MAX`, :data:`MAX_NEW_CONTACTS` (the meeting and survey services, :mod:`samenhier.io.rows`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from samenhier.clock import today

MAX_NAME = 100
"""Longest name, code-like or short text field (characters)."""
MAX_LANGUAGES = 200
"""Longest list of languages (characters)."""
MAX_TEXT = 2000
"""Longest free-text field (notes, check-ins; characters)."""
MAX_REASON = 500
"""Longest reason a match ended (characters)."""
HOUSEHOLD_MIN, HOUSEHOLD_MAX = 1, 15
DURATION_MIN, DURATION_MAX = 1, 1440
"""Shortest and longest meeting (minutes: one minute to a day)."""
PRESENT_MAX = 99
"""Most members or newcomers present at one meeting that the workbook may say (the group's size bounds it further)."""
MAX_NEW_CONTACTS = 999
"""Most new contacts an eindmeting answer may count."""
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
_PHONE_CHARACTERS = re.compile(r"[0-9 +\-().]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""C0 control characters and DEL, except tab (0x09) and line feed (0x0a)."""
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


class FieldRuleError(ValueError):
    """A value breaks a field rule: ``code`` (see the module docstring) and message ``params``."""

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(code)


def check_text(value: str, *, max_len: int = MAX_NAME, multiline: bool = False, name: bool = False) -> str:
    """``value`` (already cleaned: NFC, trimmed) if it keeps the text rules, else :class:`FieldRuleError`.

    ``multiline``: free text, where tab and line breaks are allowed; ``name``: a name or code, where
    bidirectional overrides are refused too.
    """
    found = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(value)
    if found:
        raise FieldRuleError(
            "control_character", char=f"U+{ord(found.group()):04X}", position=found.start() + 1
        )
    if name and (found := _BIDI.search(value)):
        raise FieldRuleError("bidi_override", char=f"U+{ord(found.group()):04X}", position=found.start() + 1)
    if len(value) > max_len:
        raise FieldRuleError("too_long", max=max_len)
    return value


def check_email(value: str) -> str:
    """The normalised e-mail address (domain lower case), or :class:`FieldRuleError` ``email``."""
    check_text(value)
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise FieldRuleError("email") from None


def is_dutch_phone_number(text: str) -> bool:
    """True for a Dutch phone number as people write it: ``06-12345678``, ``+31 6 12345678``,
    ``0031 6 1234 5678``, ``(070) 123 45 67``, ``+31 (0)20 123 4567``.

    Parsed with *phonenumbers* (region NL); accepted when the country code is 31 and the number has the
    length of a Dutch mobile or fixed-line number. Letters (vanity numbers, extensions) are refused.
    """
    if not _PHONE_CHARACTERS.fullmatch(text):
        return False
    try:
        number = phonenumbers.parse(text, "NL")
    except phonenumbers.NumberParseException:
        return False
    return number.country_code == 31 and (
        phonenumbers.is_possible_number_for_type(number, phonenumbers.PhoneNumberType.MOBILE)
        or phonenumbers.is_possible_number_for_type(number, phonenumbers.PhoneNumberType.FIXED_LINE)
    )


def check_phone(value: str) -> str:
    """``value`` if it is a Dutch phone number (:func:`is_dutch_phone_number`), else :class:`FieldRuleError` ``phone``."""
    if not is_dutch_phone_number(value):
        raise FieldRuleError("phone")
    return value


def check_code(value: str) -> str:
    """``value`` if it is a valid code (:data:`CODE_PATTERN`), else :class:`FieldRuleError` ``code_format``."""
    check_text(value, name=True)
    if not CODE_PATTERN.fullmatch(value):
        raise FieldRuleError("code_format")
    return value


def check_past(value: dt.date) -> dt.date:
    """``value`` if it is not after today, else :class:`FieldRuleError` ``future_date`` (with ``today``)."""
    now = today()
    if value > now:
        raise FieldRuleError("future_date", today=now)
    return value


def check_household_size(value: int) -> int:
    """``value`` if it is 1–15, else :class:`FieldRuleError` ``household_size``."""
    if not HOUSEHOLD_MIN <= value <= HOUSEHOLD_MAX:
        raise FieldRuleError("household_size", min=HOUSEHOLD_MIN, max=HOUSEHOLD_MAX)
    return value
