"""Privacy rules (AVG/GDPR): what identifies a person, how it is erased, how a name is shown to someone
who may not see it in full, when data is past its retention period, and small-number suppression.

Pure functions, no database and no Streamlit; :mod:`samenhier.queries.privacy` and
:mod:`samenhier.services.privacy` apply them. ``SECURITY.md`` explains the rules for people.

- **People** are members (``lid``, a local resident in a welcome group) and newcomers (``nieuwkomer``,
  a statushouder). Their *identifying fields* (:data:`IDENTIFYING_FIELDS`) are the ones erasure
  replaces; everything else on their record (dates, household size, municipality, status, role, VOG
  date) and everything recorded about the programme (meetings, survey answers, matches) stays, so
  that the programme's figures do not change. The code (``N0001``, ``L0001``) stays as a pseudonym.
- **Free text** (meeting notes, check-ins, group notes, reasons a match ended, audit values) is
  cleared where it *names* the person: :class:`PersonMatcher` finds their first name, last name,
  e-mail address or phone number as whole words, ignoring case and accents.
- **Retention**: :func:`retention_due_date` — ``retention_months`` (setting, default 24) after the
  last date recorded about the person; what counts as that date is in :mod:`samenhier.queries.privacy`.
- **Suppression**: :func:`suppress_count` / :func:`suppress_statistic` — a figure about fewer than
  ``min_cell_size`` people (setting, default 5) is not shown outside the organisation.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

ERASED = "[gewist]"
"""What an erased name (and an erased value in free text or the audit trail) is replaced by."""
MEMBER = "member"
NEWCOMER = "newcomer"
PERSON_KINDS = (NEWCOMER, MEMBER)
"""Kinds of people, named by their table."""

IDENTIFYING_FIELDS: Mapping[str, tuple[str, ...]] = {
    MEMBER: ("first_name", "last_name", "email", "phone"),
    NEWCOMER: ("first_name", "last_name", "email", "phone", "country_of_origin", "languages"),
}
"""Fields erasure replaces, per kind. Country of origin and languages of a newcomer are personal data
(country of origin can reveal ethnic origin) and no programme figure uses them."""

_ERASED_VALUES: Mapping[str, Any] = {
    "first_name": ERASED, "last_name": "", "email": None, "phone": None, "country_of_origin": "", "languages": "",
}


def erased_values(kind: str) -> dict[str, Any]:
    """The values an erased person's identifying fields get: names → ``[gewist]`` (first name; the last
    name empty, so that "first last" reads ``[gewist]``), contact fields → NULL, other text → empty.

    Raises:
        KeyError: ``kind`` is not ``member`` or ``newcomer``.
    """
    return {field: _ERASED_VALUES[field] for field in IDENTIFYING_FIELDS[kind]}


def fold(text: str) -> str:
    """``text`` for matching: Unicode NFD without accents, case-folded, white space collapsed."""
    decomposed = unicodedata.normalize("NFD", str(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split()).casefold()


MIN_PHRASE_LENGTH = 2
"""Shorter name parts are not looked for in free text (they would match too much)."""


@dataclass(frozen=True)
class PersonMatcher:
    """Finds free text that names one or more people: any of their name, e-mail or phone *phrases*
    as a whole word (not inside another word), ignoring case and accents. A phone number also matches
    written without separators (``06-12345678`` and ``0612345678``)."""

    phrases: tuple[str, ...]

    @classmethod
    def for_values(cls, values: Iterable[Any]) -> PersonMatcher:
        """A matcher for these identifying values (empty values and :data:`ERASED` are skipped)."""
        phrases: set[str] = set()
        for value in values:
            if value is None:
                continue
            folded = fold(value)
            if len(folded) < MIN_PHRASE_LENGTH or folded == fold(ERASED):
                continue
            phrases.add(folded)
            digits = re.sub(r"\D", "", folded)
            if len(digits) >= 6 and digits != folded:  # a phone number written with separators
                phrases.add(digits)
        return cls(tuple(sorted(phrases, key=lambda p: (-len(p), p))))

    @classmethod
    def for_person(cls, record: Any, kind: str) -> PersonMatcher:
        """A matcher for a member or newcomer record's identifying name and contact values (not the
        country or languages: they are not names)."""
        fields = [f for f in IDENTIFYING_FIELDS[kind] if f in ("first_name", "last_name", "email", "phone")]
        return cls.for_values(getattr(record, f) for f in fields)

    def __or__(self, other: PersonMatcher) -> PersonMatcher:
        return PersonMatcher(tuple(sorted(set(self.phrases) | set(other.phrases), key=lambda p: (-len(p), p))))

    @property
    def _pattern(self) -> re.Pattern | None:
        if not self.phrases:
            return None
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in self.phrases) + r")(?!\w)")

    def names(self, text: Any) -> bool:
        """True when ``text`` (a string; anything else: False) contains one of the phrases as a whole word."""
        if not isinstance(text, str) or not text:
            return False
        pattern = self._pattern
        if pattern is None:
            return False
        folded = fold(text)
        return bool(pattern.search(folded) or pattern.search(re.sub(r"(?<=\d)[ .\-()/]+(?=\d)", "", folded)))

    def scrub(self, value: Any) -> Any:
        """``value`` with every string that names a person replaced by :data:`ERASED`; lists and dicts
        are scrubbed item by item (dict keys are kept)."""
        if isinstance(value, str):
            return ERASED if self.names(value) else value
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value


def initials(first_name: Any, last_name: Any) -> str:
    """A pseudonym for someone who may not see the name: the initials, ``Khaled Hamdan`` → ``K. H.``;
    Dutch particles are skipped (``Daan van der Berg`` → ``D. B.``); ``[gewist]`` stays as it is."""
    if first_name == ERASED:
        return ERASED
    first = [w for w in str(first_name or "").replace("-", " ").split()]
    last = [w for w in str(last_name or "").replace("-", " ").split() if w.casefold() not in _PARTICLES]
    return " ".join(words[i][0].upper() + "." for words, i in ((first, 0), (last, -1)) if words)


_PARTICLES = {"van", "der", "den", "de", "het", "ten", "ter", "te", "op", "in", "'t", "v.d.", "al", "el"}


def retention_due_date(last_activity: dt.date, months: int) -> dt.date:
    """The day a person's data is past retention: ``months`` calendar months after ``last_activity``
    (the same day of the month, or the month's last day: 31 August + 24 months → 31 August two years
    later; 29 February + 12 months → 28 February)."""
    return last_activity + relativedelta(months=months)


def suppress_count(n: int | None, min_n: int) -> int | None:
    """A count of people for sharing outside the organisation: None when 1…``min_n``−1 (0 is shown:
    nobody is described by it)."""
    if n is None:
        return None
    return None if 0 < n < min_n else n


def suppress_statistic(value: Any, n: int, min_n: int) -> Any:
    """A statistic over ``n`` people (median, share): None when ``n`` is below ``min_n``."""
    return None if n < min_n else value
