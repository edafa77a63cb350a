"""Edits made in the app since the last import (issue 15 item 2): which fields of which records the audit trail
shows as changed in the app, and the workbook column of a model attribute (to name a change or conflict)."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlmodel import Session, select

from samenhier.io.rows import SHEETS
from samenhier.models import AuditEvent

TABLE_OF_SHEET = {
    "community_builders": "community_builder",
    "groepen": "welcome_group",
    "leden": "member",
    "nieuwkomers": "newcomer",
    "koppelingen": "match",
    "bijeenkomsten": "meeting",
    "enquetes": "survey_response",
}
ON_CONFLICT = ("keep-app", "take-workbook")
"""What an import does with a field changed in the app since the record's last import: ``keep-app``
("app wint", the default) keeps the app's value; ``take-workbook`` ("werkboek wint") writes the workbook's."""
_COLUMN_OF_ATTRIBUTE = {
    "municipality_id": "municipality",
    "community_builder_id": "community_builder",
    "group_id": "group_code",
    "newcomer_id": "newcomer_code",
    "member_id": "respondent_code",
}
_AUDIT_FIELD = {
    "municipality": "municipality_id",
    "community_builder": "community_builder_id",
    "group": "group_id",
}
"""Audit-trail field names (the forms' names, :mod:`samenhier.services.records`) → model attributes."""
_APP_ACTIONS_IGNORED = ("import", "login", "login_failed", "export", "backup", "restore")


def column_of(sheet: str, attribute: str) -> str:
    """The workbook column (Dutch) of a model attribute on ``sheet`` (``municipality_id`` → ``gemeente``)."""
    name = _COLUMN_OF_ATTRIBUTE.get(attribute, attribute)
    found = SHEETS[sheet].model_fields.get(name)
    return found.alias if found is not None and found.alias else attribute


def app_changes_since_import(session: Session) -> dict[tuple[str, int], set[str]]:
    """``(table, record id)`` → model attributes changed in the app (any audited write but an import) after
    the last import that held the record's sheet; a record created in the app since then has every field.

    Source: the audit trail (:class:`~samenhier.models.AuditEvent`): an import event lists the sheets it
    held (``changes`` keys), every service event names its record and ``{field: [before, after]}``.
    """
    last_import: dict[str, int] = {}
    for event_id, changes in session.exec(
        select(AuditEvent.id, AuditEvent.changes).where(AuditEvent.action == "import")
    ):
        try:
            sheets = json.loads(changes or "{}")
        except ValueError:
            continue
        for sheet in sheets if isinstance(sheets, dict) else ():
            if sheet in TABLE_OF_SHEET:
                last_import[TABLE_OF_SHEET[sheet]] = max(event_id, last_import.get(TABLE_OF_SHEET[sheet], 0))
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    query = select(AuditEvent.id, AuditEvent.table_name, AuditEvent.record_id, AuditEvent.changes).where(
        AuditEvent.table_name.in_(list(TABLE_OF_SHEET.values())),
        AuditEvent.record_id.is_not(None),
        AuditEvent.action.not_in(_APP_ACTIONS_IGNORED),
        AuditEvent.id > min(last_import.values(), default=0),
    )
    for event_id, table, record_id, changes in session.exec(query):
        if event_id <= last_import.get(table, 0):
            continue
        try:
            fields = json.loads(changes or "{}")
        except ValueError:
            fields = {}
        found[(table, record_id)].update(
            _AUDIT_FIELD.get(f, f) for f in (fields if isinstance(fields, dict) else ())
        )
    return dict(found)
