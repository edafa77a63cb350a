"""Translations (gettext catalogs read with Babel); formatting of dates and numbers is in :mod:`samenhier.formatting`


Messages are looked up by symbolic keys (``overview.title``) in ``samenhier/locales/<lang>/LC_MESSAGES/
messages.po``; Dutch (``nl``) is the default, English (``en``) the alternative. Both catalogs must hold
every key the code uses: ``tests/test_i18n.py`` extracts the keys with Babel and fails on a missing one.
Placeholders use ``str.format`` syntax: ``t("import.where.row", row=5)``.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
"""Each language by its own name (for choosing one)."""
LOCALES_DIR = Path(__file__).parent / "locales"
_current: ContextVar[str] = ContextVar("samenhier_language", default=DEFAULT_LANGUAGE)


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_form(n: float | int, lang: str | None = None) -> str:
    """The CLDR plural category of ``n`` in ``lang`` (Dutch and English: ``one`` for 1, else ``other``).

    Source: the CLDR plural rules, through Babel's ``Locale.plural_form``. ``lang`` defaults to the current
    language (:func:`get_language`).
    """
    return _locale(lang or get_language()).plural_form(abs(n))


def set_language(lang: str) -> None:
    """Make ``lang`` the language of this thread/context (Streamlit: each script run sets it first).

    Raises:
        ValueError: ``lang`` is not one of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    _current.set(lang)


def get_language() -> str:
    return _current.get()


def catalog_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def translations(lang: str) -> Translations:
    """The compiled catalog of ``lang``: the .po file compiled in memory (no build step needed)."""
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def t(key: str, lang: str | None = None, /, **params: object) -> str:
    """The text for ``key`` in ``lang`` (default: the current language), with ``params`` filled in.

    A key missing from the catalog comes back as the key itself, so a gap is visible, never a crash.
    With a whole number ``n`` among ``params``, the message ``<key>.<plural form>`` is used when the
    catalog has it (CLDR plural rules via Babel: ``<key>.one`` for ``n`` = 1 in Dutch and English), so
    ``"{n} personen"`` can read ``"1 persoon"``.
    """
    lang = lang or get_language()
    catalog = translations(lang)
    n = params.get("n")
    if isinstance(n, int) and not isinstance(n, bool):
        plural_key = f"{key}.{plural_form(n, lang)}"
        text = catalog.gettext(plural_key)
        if text == plural_key:
            text = catalog.gettext(key)
    else:
        text = catalog.gettext(key)
    if params:
        try:
            text = text.format(**params)
        except (KeyError, IndexError, ValueError):
            pass
    return text


def label(vocabulary: str, value: str | None, lang: str | None = None) -> str:
    """A stored vocabulary word (``wacht op match``) shown in ``lang``: key ``<vocabulary>.<value>``."""
    if value is None:
        return ""
    return t(f"{vocabulary}.{value}", lang)
