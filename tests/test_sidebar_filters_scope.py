"""The sidebar offers the filters a role can use (issue 14): no municipality filter for a community builder,
one named municipality for a coordinator of one municipality, a choice for national coordinators and for
coordinators of several municipalities."""

from __future__ import annotations

import pandas as pd
import pytest
from apptest_helpers import run_app
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder, UserRole
from samenhier.scope import Scope
from samenhier.services.users import create_user

PASSWORD = "een-lang-wachtwoord"


# -- the rule (no Streamlit) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope.coordinator("anna"), "choice"),
        (Scope.coordinator("rosa", ["Rotterdam"]), "fixed"),
        (Scope.coordinator("mo", ["Rotterdam", "Almere"]), "choice"),
        (Scope.community_builder("samira", 3), "none"),
        (Scope(username="x", role=UserRole.COMMUNITY_BUILDER), "none"),  # a builder account without a link
    ],
)
def test_municipality_filter_follows_the_role_and_reach(scope, expected):
    assert scope.municipality_filter == expected


# -- the sidebar --------------------------------------------------------------------------------------


@pytest.fixture
def store(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    return workbook_engine


def _municipality_filters(at) -> list:
    return [m for m in at.sidebar.multiselect if m.key == "filter_municipalities"]


def test_national_coordinator_chooses_among_all_four_cities(store, workbook_path):
    at = run_app(Scope.coordinator("anna"))
    assert not at.exception
    [chooser] = _municipality_filters(at)
    cities = pd.read_excel(workbook_path, sheet_name="groepen")["gemeente"].str.strip().str.lower()
    cities = {"den haag" if c == "'s-gravenhage" else c for c in cities}  # the workbook's alias
    assert [o.lower() for o in chooser.options] == sorted(cities)
    assert [m.label for m in at.sidebar.multiselect] == ["Gemeente", "Variant"]


def test_community_builder_has_no_municipality_filter_only_the_variant(store):
    with Session(store) as s:
        s.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Samira Benali")).one()
    builder = create_user(store, "samira", PASSWORD, "community_builder", community_builder="Samira Benali")
    for lang, title in (("nl", "Gemeente"), ("en", "Municipality")):
        at = run_app(builder, lang=lang)
        assert not at.exception
        assert _municipality_filters(at) == []
        assert [m.key for m in at.sidebar.multiselect] == ["filter_variants"]
        assert title not in [m.label for m in at.sidebar.multiselect]


def test_coordinator_of_one_municipality_sees_it_named_not_offered(store):
    rosa = Scope.coordinator("rosa", ["Rotterdam"])
    at = run_app(rosa)
    assert not at.exception
    assert _municipality_filters(at) == []
    assert "Gemeente: Rotterdam" in [c.value for c in at.sidebar.caption]
    at = run_app(rosa, lang="en")
    assert "Municipality: Rotterdam" in [c.value for c in at.sidebar.caption]


def test_coordinator_of_two_municipalities_chooses_between_them(store):
    at = run_app(Scope.coordinator("mo", ["Almere", "Rotterdam"]))
    assert not at.exception
    [chooser] = _municipality_filters(at)
    assert chooser.options == ["Almere", "Rotterdam"]
