"""Beheer's declarative specs (samenhier.admin_records): every column, search field and filter a spec names
is in the frame its list query returns, and every text a spec names by key is in both catalogs."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from samenhier import i18n
from samenhier.admin import Context
from samenhier.admin_records import SPECS
from samenhier.scope import Filters, Scope

ANNA = Scope.coordinator("anna")


def test_every_named_column_is_in_the_list(workbook_engine):
    for spec in SPECS:
        frame = spec.list_query(Context(workbook_engine, ANNA, Filters()), True)
        if spec.prepare is not None:
            frame = spec.prepare(frame)
        named = {
            spec.id_column,
            *(c.name for c in spec.columns),
            *spec.search_fields,
            *(f.column for f in spec.filters),
            *spec.list_editable,
        }
        if spec.list_editable:
            named.add("version")  # an edited row is written with the version it was shown with
        assert named - set(frame.columns) == set(), spec.name
        assert len(frame) > 0 or spec.name == "users", spec.name  # the workbook has every type but accounts


def test_editable_columns_are_list_columns_and_have_a_bulk_service():
    for spec in SPECS:
        assert set(spec.list_editable) <= {c.name for c in spec.columns}, spec.name
        assert (spec.bulk_update is not None) == bool(spec.list_editable), spec.name


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_key_a_spec_names_is_translated(lang):
    with i18n.catalog_path(lang).open("rb") as f:
        catalog = {m.id: m.string for m in read_po(f) if m.id}
    keys = set()
    for spec in SPECS:
        keys |= {f"manage.section.{spec.name}", f"manage.new.{spec.name}", *(c.label for c in spec.columns)}
        keys |= {key for f in spec.filters for key in (f.label, f.too_many) if key}
    assert sorted(k for k in keys if not catalog.get(k)) == []
