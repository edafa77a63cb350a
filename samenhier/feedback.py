"""The pure half of the write path (no Streamlit): which record a write is for, what came of it, and
whether the user is sending the same thing twice. :mod:`samenhier.actions` draws it.

- :class:`Shown` — the record as the page rendered it: id, version, and the name buttons and messages
  use ("koppeling 0034-010 ↔ N0060").
- :func:`attempt` — run one service call and turn what it raises into an :class:`Outcome`
  (saved / invalid / conflict / denied / busy / confirm); never raises for those.
- :func:`split_errors` — field errors at the field when the form has that field, else as one line
  naming the field.
- :func:`fingerprint` / :func:`is_repeat` — "the same values submitted twice in a row".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError

from samenhier import i18n
from samenhier.scope import AccessDenied
from samenhier.services.common import FieldError, ValidationFailed, VersionConflict

SAVED, INVALID, CONFLICT, DENIED, BUSY, CONFIRM = "saved", "invalid", "conflict", "denied", "busy", "confirm"


@dataclass(frozen=True)
class Shown:
    """The record a write is for, exactly as the page showed it.

    ``id`` is its primary key, ``version`` the version that was rendered (None for a record without
    one, or when a write creates something *under* the record, e.g. a meeting of a group), ``name``
    the words that name it to people, code and name ("koppeling 0034-010 ↔ N0060").
    """

    id: int
    version: int | None
    name: str


@dataclass
class Outcome:
    """What came of one write.

    ``status`` is one of ``saved`` (``result`` holds the service's return value), ``invalid``
    (``errors``: field → messages), ``conflict`` (the record changed since it was shown; ``conflict``
    holds the :class:`VersionConflict`), ``denied`` (no such record or not the user's), ``busy`` (the
    store was locked) or ``confirm`` (valid but looks like a mistake; ``warnings`` say why, the
    service wants to be called again with its confirmation flag). ``warnings`` on ``saved`` are the
    service's warnings (e.g. group size), already in the reader's language.
    """

    status: str
    result: Any = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    conflict: VersionConflict | None = None

    @property
    def ok(self) -> bool:
        return self.status == SAVED


def messages_by_field(errors: Sequence[FieldError], lang: str | None) -> dict[str, list[str]]:
    """``errors`` in ``lang``, grouped by field (in order)."""
    out: dict[str, list[str]] = {}
    for error in errors:
        out.setdefault(error.field, []).append(error.message(lang))
    return out


def attempt(call: Callable[[], Any], lang: str | None = None) -> Outcome:
    """Run ``call`` (one service call) and say what came of it; the exceptions a service raises for
    the user (ValidationFailed, VersionConflict, AccessDenied, a locked store, and the meetings
    service's ConfirmationNeeded) become an :class:`Outcome`, anything else propagates (a bug)."""
    from samenhier.services.meetings import ConfirmationNeeded

    try:
        result = call()
    except ValidationFailed as exc:
        return Outcome(INVALID, errors=messages_by_field(exc.errors, lang))
    except VersionConflict as exc:
        return Outcome(CONFLICT, conflict=exc)
    except AccessDenied:
        return Outcome(DENIED)
    except ConfirmationNeeded as exc:
        return Outcome(CONFIRM, warnings=[w.message(lang) for w in exc.warnings])
    except OperationalError:
        return Outcome(BUSY)
    warnings = [w.message(lang) for w in (getattr(result, "warnings", None) or ())]
    return Outcome(SAVED, result=result, warnings=warnings)


def split_errors(
    errors: Mapping[str, Sequence[str]], form_fields: Sequence[str], labels: Mapping[str, str] | None = None
) -> tuple[dict[str, list[str]], list[str]]:
    """Errors for fields the form shows (to draw under each field), and the others as lines that name
    their field by ``labels`` (``"Groep: bestaat niet"``; the bare message when no label is known)."""
    at_field: dict[str, list[str]] = {}
    general: list[str] = []
    for name, messages in errors.items():
        if name in form_fields:
            at_field[name] = list(messages)
        else:
            label = (labels or {}).get(name)
            general += [f"{label}: {m}" if label else m for m in messages]
    return at_field, general


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted((_normal(v) for v in value), key=repr))
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _normal(v)) for k, v in value.items()))
    return value


def fingerprint(action: str, record_id: int | None, values: Mapping[str, Any]) -> tuple:
    """What identifies one submission: the action, the record and the values, with text trimmed (empty
    text is no value), dates as ISO text and whole floats as ints, so ``" 60 "`` and ``60.0`` typed
    again count as the same."""
    return (action, record_id, _normal(values))


def is_repeat(last: tuple | None, action: str, record_id: int | None, values: Mapping[str, Any]) -> bool:
    """True when this submission is the same as the last successful one (``last``, a :func:`fingerprint`)."""
    return last is not None and last == fingerprint(action, record_id, values)


def conflict_text(shown: Shown, lang: str | None = None) -> str:
    """The message for a write refused because ``shown`` changed since it was shown."""
    return i18n.t("actions.conflict", lang, name=shown.name)


def outcome_text(outcome: Outcome, shown: Shown | None, lang: str | None = None) -> str | None:
    """The one message for a write that did not save (None for ``saved`` / ``invalid`` / ``confirm``,
    which the form shows itself)."""
    if outcome.status == CONFLICT:
        return conflict_text(shown, lang) if shown else i18n.t("forms.changed_meanwhile", lang)
    if outcome.status == DENIED:
        return i18n.t("common.not_found_or_denied", lang)
    if outcome.status == BUSY:
        return i18n.t("forms.busy", lang)
    return None
