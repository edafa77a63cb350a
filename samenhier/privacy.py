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
  cleared where it *names* the person: :class:`PersonMatcher` finds their full name, first name alone,
  last name alone (also without particles: ``Berg`` for ``van der Berg``), e-mail address or phone
  number as whole words, ignoring case and accents, also in the possessive (``Zebulonias dochter``,
  ``Anna's fiets``).
- **The erasure register** keeps, per erased person, only hashes (:func:`phrase_hash`) of their code
  and of those phrases — no names — so that a later import can recognise text that would bring an
  erased person's data back (:meth:`PersonMatcher.from_hashes`).
- **Retention**: :func:`retention_due_date` — ``retention_months`` (setting, default 24) after the
  last date recorded about the person; what counts as that date is in :mod:`samenhier.queries.privacy`.
- **Suppression**: :func:`suppress_count` / :func:`suppress_statistic` — a figure about fewer than
  ``min_cell_size`` people (setting, default 5) is not shown outside the organisation; the rules are
  in :mod:`samenhier.disclosure`, re-exported here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta

from samenhier.disclosure import hide_count, suppress_statistic  # noqa: F401  (re-exported)

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
    "first_name": ERASED,
    "last_name": "",
    "email": None,
    "phone": None,
    "country_of_origin": "",
    "languages": "",
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
_WORD = re.compile(r"\w+")
_DIGIT_SEPARATORS = re.compile(r"(?<=\d)[ .\-()/]+(?=\d)")


def words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as a matcher compares them: :func:`fold`-ed runs of letters and digits
    (``Ayşe-Kaya@voorbeeld.nl`` → ``ayse``, ``kaya``, ``voorbeeld``, ``nl``)."""
    return tuple(_WORD.findall(fold(text)))


def phrase_hash(phrase: tuple[str, ...]) -> str:
    """The erasure register's form of a phrase (a tuple of :func:`words`) or a code: hex SHA-256 of the
    words joined by U+001F, prefixed by a domain label. A hash, not a secret: someone who guesses a name
    can check it against the register; the register only never *shows* a name."""
    return hashlib.sha256(("samenhier-erasure-register\x00" + "\x1f".join(phrase)).encode()).hexdigest()


def code_hash(code: str) -> str:
    """The erasure register's form of a person's code (``N0062``), case-insensitive."""
    return phrase_hash(("code", str(code).strip().casefold()))


def _possessive_variants(gram: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """``gram`` and, when its last word ends in ``s``, the same without that ``s``: the Dutch and English
    possessive of a name (``zebulonias`` → ``zebulonia``). ``Anna's`` needs nothing: ``'s`` is a word of its own."""
    last = gram[-1]
    if len(last) > MIN_PHRASE_LENGTH and last.endswith("s"):
        return gram, (*gram[:-1], last[:-1])
    return (gram,)


class PersonMatcher:
    """Finds free text that names people: one of their *phrases* — first name, last name, e-mail
    address, phone number — as whole words, ignoring case, accents and punctuation between the words
    (``Kaya`` is found in "familie Kaya" but not in "Kayak"). A phone number is also found written
    without separators or with other ones (``06-12345678``, ``0612345678``, ``06 1234 5678``).

    Every phrase belongs to one or more *owners* (a person's key), so that one matcher for many people
    — ``a | b`` — can say whose name a text holds (:meth:`owners`). Texts are compared word by word
    against a set of phrases, so matching many people costs no more than matching one. A word ending
    in ``s`` also counts without it (the possessive: "Zebulonias dochter").

    A matcher made by :meth:`from_hashes` holds no phrases, only their :func:`phrase_hash` values (the
    erasure register); it finds the same texts.
    """

    def __init__(
        self,
        phrases: dict[Any, frozenset[Any]] | None = None,
        *,
        hashed: bool = False,
        longest: int | None = None,
    ):
        self._phrases = dict(phrases or {})
        self._hashed = hashed
        self._longest = longest if longest is not None else max((len(p) for p in self._phrases), default=0)

    @classmethod
    def from_hashes(cls, entries: Iterable[tuple[Iterable[str], Any]], longest: int) -> PersonMatcher:
        """A matcher for phrases known only by their :func:`phrase_hash`: ``entries`` are (hashes, owner)
        pairs; ``longest`` is the most words any of the phrases has."""
        phrases: dict[Any, set[Any]] = {}
        for hashes, owner in entries:
            for h in hashes:
                phrases.setdefault(h, set()).add(owner)
        return cls({h: frozenset(o) for h, o in phrases.items()}, hashed=True, longest=longest)

    def hashes(self) -> list[str]:
        """The :func:`phrase_hash` of every phrase (what the erasure register keeps), sorted."""
        return sorted(p if self._hashed else phrase_hash(p) for p in self._phrases)

    @property
    def longest(self) -> int:
        return self._longest

    @classmethod
    def for_values(cls, values: Iterable[Any], owner: Any = None) -> PersonMatcher:
        """A matcher for these identifying values of ``owner`` (empty values and :data:`ERASED` are skipped)."""
        phrases: dict[tuple[str, ...], frozenset[Any]] = {}
        for value in values:
            if value is None or len(fold(value)) < MIN_PHRASE_LENGTH or fold(value) == fold(ERASED):
                continue
            for phrase in {words(value), words(_DIGIT_SEPARATORS.sub("", fold(value)))}:
                if phrase:
                    phrases[phrase] = frozenset({owner})
        return cls(phrases)

    @classmethod
    def for_person(cls, record: Any, kind: str) -> PersonMatcher:
        """A matcher for a member or newcomer record's name and contact values (not the country or
        languages: they are not names); the owner is ``(kind, record.id)``."""
        fields = [f for f in IDENTIFYING_FIELDS[kind] if f in ("first_name", "last_name", "email", "phone")]
        last = str(record.last_name or "")
        core = " ".join(
            w for w in last.replace("-", " ").split() if w.casefold() not in _PARTICLES
        )  # "van der Berg" → "Berg"
        values = [*(getattr(record, f) for f in fields), core, f"{record.first_name or ''} {last}"]
        return cls.for_values(values, owner=(kind, record.id))

    @property
    def phrases(self) -> set[tuple[str, ...]]:
        return set(self._phrases)

    def __or__(self, other: PersonMatcher) -> PersonMatcher:
        return PersonMatcher.union([self, other])

    @classmethod
    def union(cls, matchers: Iterable[PersonMatcher]) -> PersonMatcher:
        """One matcher for the phrases of all ``matchers`` (each phrase keeps all its owners)."""
        matchers = list(matchers)
        merged: dict[tuple[str, ...], set[Any]] = {}
        for matcher in matchers:
            for phrase, owners in matcher._phrases.items():
                merged.setdefault(phrase, set()).update(owners)
        hashed = {m._hashed for m in matchers}
        if len(hashed) > 1:
            raise ValueError("cannot join a hashed matcher with a plain one")
        return cls(
            {phrase: frozenset(owners) for phrase, owners in merged.items()},
            hashed=hashed == {True},
            longest=max((m._longest for m in matchers), default=0),
        )

    def owners(self, value: Any) -> set[Any]:
        """Whose phrases occur in ``value``: a string, or every string in a list or dict (not the keys)."""
        if isinstance(value, str):
            found: set[Any] = set()
            if not value or not self._phrases:
                return found
            key = phrase_hash if self._hashed else (lambda gram: gram)
            for text_words in {words(value), words(_DIGIT_SEPARATORS.sub("", fold(value)))}:
                for size in range(1, self._longest + 1):
                    for start in range(len(text_words) - size + 1):
                        for gram in _possessive_variants(text_words[start : start + size]):
                            found |= self._phrases.get(key(gram), frozenset())
            return found
        if isinstance(value, list):
            return set().union(*(self.owners(v) for v in value)) if value else set()
        if isinstance(value, dict):
            return set().union(*(self.owners(v) for v in value.values())) if value else set()
        return set()

    def names(self, text: Any) -> bool:
        """True when ``text`` (a string; anything else: False) holds one of the phrases."""
        return isinstance(text, str) and bool(self.owners(text))

    def scrub(self, value: Any) -> Any:
        """``value`` with every string that names someone replaced by :data:`ERASED`; lists and dicts are
        scrubbed item by item (dict keys are kept)."""
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


def list_id(people: Iterable[tuple[str, int]]) -> int:
    """A whole number that names one exact list of ``(kind, person_id)`` pairs (order does not matter): the
    id the Bewaartermijn action is bound to, so that a confirmation given for one list (one filter choice)
    never carries over to another list, even one of the same length. A SHA-256 prefix (:mod:`hashlib`)."""
    text = ";".join(f"{kind}:{int(person_id)}" for kind, person_id in sorted(people))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")


# The rules of small numbers live in samenhier.disclosure (one module for every page and report).
suppress_count = hide_count
"""A count of people for sharing outside the organisation: None when 1…``min_n``−1 (0 is shown:
nobody is described by it). Alias of :func:`samenhier.disclosure.hide_count`."""
