"""Form values checked field by field: :class:`Checker` turns what a form sends into clean values and collects a
:class:`~samenhier.services.common.FieldError` per field that breaks a rule. The rules for single values are
:mod:`samenhier.fields`, the same ones the import applies (:mod:`samenhier.io.rows`); this module only adapts
them to form values (``None``, pandas timestamps, ISO text) and adds the form-only ones (``required``,
``choice``, ``code_taken``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from samenhier import fields
from samenhier.io.rows import clean_text
from samenhier.municipalities import canonical_municipality
from samenhier.services.common import FieldError

MAX_NAME = fields.MAX_NAME


# --------------------------------------------------------------------------------------------- checks


class Checker:
    """Turns raw form values into clean ones, collecting a :class:`FieldError` per invalid field."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = values
        self.errors: list[FieldError] = []

    def error(self, field: str, error_code: str, /, **params: Any) -> None:
        if not any(e.field == field for e in self.errors):  # one message per field: the first problem
            self.errors.append(FieldError(field, error_code, params))

    def failed(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def rule(self, field: str, check, value: Any, **kwargs: Any) -> Any:
        """``check(value, **kwargs)`` (a rule of :mod:`samenhier.fields`); a broken rule becomes this field's error."""
        try:
            return check(value, **kwargs)
        except fields.FieldRuleError as broken:
            self.error(field, broken.code, **broken.params)
            return value

    def text(
        self, field: str, *, required: bool = False, max_len: int = MAX_NAME, multiline: bool | None = None
    ) -> str:
        """Cleaned text; ``multiline`` (default: for free text longer than a name) allows tabs and line breaks,
        otherwise names and codes refuse bidirectional overrides too."""
        value = clean_text(self.values.get(field))
        multiline = max_len > fields.MAX_LANGUAGES if multiline is None else multiline
        if required and not value:
            self.error(field, "required")
        else:
            self.rule(
                field, fields.check_text, value, max_len=max_len, multiline=multiline, name=not multiline
            )
        return value

    def email(self, field: str) -> str | None:
        value = clean_text(self.values.get(field))
        if not value:
            return None
        return self.rule(field, fields.check_email, value)

    def phone(self, field: str) -> str | None:
        value = clean_text(self.values.get(field))
        if not value:
            return None
        return self.rule(field, fields.check_phone, value)

    def date(self, field: str, *, required: bool = False, past: bool = True) -> dt.date | None:
        """A date (``date``, ``datetime``, pandas Timestamp or ISO text); ``past``: not after today."""
        value = self.values.get(field)
        if value is None or (not isinstance(value, dt.date) and pd.isna(value)) or value == "":
            if required:
                self.error(field, "required")
            return None
        if isinstance(value, pd.Timestamp):
            value = value.date()
        elif isinstance(value, dt.datetime):
            value = value.date()
        elif isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                self.error(field, "date")
                return None
        if not isinstance(value, dt.date):
            self.error(field, "date")
            return None
        if past:
            self.rule(field, fields.check_past, value)
        return value

    def choice(self, field: str, allowed: type[StrEnum] | Mapping[Any, Any], *, required: bool = True) -> Any:
        value = self.values.get(field)
        if value is None or value == "":
            if required:
                self.error(field, "required")
            return None
        options = {m.value for m in allowed} if isinstance(allowed, type) else set(allowed)
        if value not in options:
            self.error(field, "choice")
            return None
        return value

    def municipality(self, field: str, *, required: bool = True) -> str | None:
        raw = clean_text(self.values.get(field))
        if not raw:
            if required:
                self.error(field, "required")
            return None
        name = canonical_municipality(raw)
        if name is None:
            self.error(field, "municipality")
        return name

    def code(self, session: Session, field: str, model: type[SQLModel], record_id: int | None) -> str:
        value = clean_text(self.values.get(field))
        if not value:
            return ""  # generated by the caller
        self.rule(field, fields.check_code, value)
        if self.failed(field):
            pass
        elif (
            session.exec(
                select(model.id).where(func.lower(model.code) == value.lower(), model.id != (record_id or -1))
            ).first()
            is not None
        ):
            self.error(field, "code_taken", code=value)
        return value
