"""The survey page (Enquêtes) in AppTest, on the shared workbook: figures as worked out from the workbook
with pandas, the entry form changing them, invalid input writing nothing, and a community builder's view."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder, Match, SurveyResponse, Wave, WelcomeGroup
from samenhier.queries.common import count_rows
from samenhier.scope import Scope
from tests.apptest_helpers import open_tab, run_app, texts
from tests.survey_workbook import (
    paired,
    scored_responses,
    share_lonely,
    share_lonely_in_safe_cells,
    surveyed_store,
)

PAGE = "views/surveys.py"
COORDINATOR = Scope.coordinator("coordinator")
WAVES_NL = {"nulmeting": "nulmeting", "tussenmeting": "tussenmeting", "eindmeting": "eindmeting"}

DUTCH_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
"""Dates in messages are written the Dutch way, e.g. 26 maart 2026."""


@pytest.fixture
def surveyed_engine(db_url):
    yield from surveyed_store(db_url)


def table_with(at, column: str) -> pd.DataFrame:
    """The page's dataframe that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def lonely_rows(at) -> pd.DataFrame:
    waves = table_with(at, "category")
    return waves[waves["category"].str.startswith("eenzaam")]


def newcomer_without_end(engine) -> tuple[int, int, str, float]:
    """A newcomer with a scored nulmeting and no eindmeting, in a running match: (group_id, newcomer_id, code, baseline total)."""
    responses = scored_responses()
    with Session(engine) as session:
        for match in session.exec(select(Match).where(Match.status == "actief").order_by(Match.id)):
            waves = {
                r.wave
                for r in session.exec(
                    select(SurveyResponse).where(SurveyResponse.newcomer_id == match.newcomer_id)
                )
            }
            if Wave.BASELINE.value in waves and Wave.END.value not in waves:
                code = session.exec(select(WelcomeGroup.code).where(WelcomeGroup.id == match.group_id)).one()
                from samenhier.models import Newcomer

                newcomer_code = session.get(Newcomer, match.newcomer_id).code
                base = responses[
                    (responses["respondent_code"] == newcomer_code) & (responses["meting"] == "nulmeting")
                ]
                if base["total"].notna().all() and base["total"].iloc[0] > 0:
                    return match.group_id, match.newcomer_id, code, float(base["total"].iloc[0])
    pytest.fail("no running match whose newcomer has a scored nulmeting and no eindmeting")


def open_form(at, group_id: int, newcomer_id: int, wave: str, version: int = 0) -> str:
    """Choose group, newcomer and wave in the entry tab; returns the form's key prefix (``{form}-{record}``)."""
    open_tab(at, "surveys", "Antwoorden invoeren")
    at.selectbox(key="survey_entry_group").set_value(group_id).run()
    at.selectbox(key=f"survey_entry_person_{group_id}").set_value(
        newcomer_id * 2
    ).run()  # views.surveys.respondent_key
    at.radio(key="survey_entry_wave").set_value(wave).run()
    return form_key(group_id, newcomer_id, wave, version)


def form_key(group_id: int, newcomer_id: int, wave: str, version: int) -> str:
    return f"survey-{group_id}-{wave}-{version}-{newcomer_id * 2}"


def fill_not_lonely(at, form: str) -> None:
    for item in ("emptiness", "miss_people", "abandoned"):
        at.radio(key=f"{form}-{item}").set_value("nee")
    for item in ("fall_back_on", "trust", "connected"):
        at.radio(key=f"{form}-{item}").set_value("ja")
    at.radio(key=f"{form}-feel_at_home").set_value(5)


def submit(at, form: str):
    return at.button(key=f"{form}-submit").click().run()


def test_page_shows_the_shares_worked_out_from_the_workbook(surveyed_engine):
    at = run_app(COORDINATOR, page=PAGE)
    assert not at.exception
    assert at.title[0].value == "Enquêtes"
    responses = scored_responses()
    shown = lonely_rows(open_tab(at, "surveys", "Eenzaamheid per meting"))
    for wave in Wave:
        for role in ("nieuwkomer", "lid"):
            k, n = share_lonely(responses, wave.value, role)
            row = shown[(shown["wave"] == WAVES_NL[wave.value]) & (shown["role"] == role)].iloc[0]
            assert row["n"] == n
            assert row["k"] == k
            assert row["share"] == pytest.approx(100 * k / n)
    # the summary sentence names share and n, e.g. the newcomers at the nulmeting
    k, n = share_lonely(responses, "nulmeting", "nieuwkomer")
    assert f"nulmeting {round(100 * k / n)}% (n = {n}," in texts(at)
    # charts are drawn from the same figures: the lonely-share bars carry n
    spec = next(c.proto.spec for c in at.get("plotly_chart") if f"n = {n}" in c.proto.spec)
    assert '"error_y"' in spec
    # the paired view: people with both waves, as counted from the workbook
    open_tab(at, "surveys", "Voor en na")
    expected = paired(responses, "nieuwkomer")
    down = int((expected["change"] < 0).sum())
    assert (
        f"Van de {len(expected)} nieuwkomers met een nul- en eindmeting is de eenzaamheidsscore bij {down} gedaald"
        in texts(at)
    )
    paired_table = table_with(at, "decreased")
    row = paired_table[
        (paired_table["role"] == "nieuwkomer") & paired_table["measure"].str.startswith("Eenzaamheid")
    ].iloc[0]
    assert (row["n"], row["decreased"]) == (len(expected), down)


def test_entering_a_response_changes_the_figures(surveyed_engine):
    group_id, newcomer_id, _code, _baseline_total = newcomer_without_end(surveyed_engine)
    responses = scored_responses()
    k_end, n_end = share_lonely(responses, "eindmeting", "nieuwkomer")
    pairs = paired(responses, "nieuwkomer")
    at = run_app(COORDINATOR, page=PAGE)
    count = count_rows(surveyed_engine, SurveyResponse)
    form = open_form(at, group_id, newcomer_id, "eindmeting")
    fill_not_lonely(at, form)  # total 0: not lonely, and lower than the nulmeting's total (> 0)
    at.radio(key=f"{form}-self_reported_change").set_value("minder")
    at.number_input(key=f"{form}-new_contacts").set_value(4)
    submit(at, form)
    assert not at.exception and not at.error
    assert count_rows(surveyed_engine, SurveyResponse) == count + 1
    assert any("Opgeslagen: eindmeting van" in s.value for s in at.success)
    # the form now shows the stored response (version 1) for editing
    assert at.radio(key=f"{form_key(group_id, newcomer_id, 'eindmeting', 1)}-emptiness").value == "nee"
    row = (
        lonely_rows(open_tab(at, "surveys", "Eenzaamheid per meting"))
        .query("wave == 'eindmeting' and role == 'nieuwkomer'")
        .iloc[0]
    )
    assert (row["n"], row["k"]) == (n_end + 1, k_end)  # one more newcomer at the end, not lonely
    down = int((pairs["change"] < 0).sum()) + 1
    open_tab(at, "surveys", "Voor en na")
    assert (
        f"Van de {len(pairs) + 1} nieuwkomers met een nul- en eindmeting is de eenzaamheidsscore bij {down} gedaald"
        in texts(at)
    )


def test_invalid_input_writes_nothing_and_keeps_what_was_typed(surveyed_engine):
    group_id, newcomer_id, _code, _ = newcomer_without_end(surveyed_engine)
    with Session(surveyed_engine) as session:
        baseline = session.exec(
            select(SurveyResponse.date).where(
                SurveyResponse.newcomer_id == newcomer_id, SurveyResponse.wave == "nulmeting"
            )
        ).one()
    at = run_app(COORDINATOR, page=PAGE)
    before = count_rows(surveyed_engine, SurveyResponse)
    form = open_form(at, group_id, newcomer_id, "eindmeting")
    fill_not_lonely(at, form)
    at.date_input(key=f"{form}-date").set_value(
        baseline - dt.timedelta(days=3)
    )  # an eindmeting before the nulmeting
    submit(at, form)
    assert not at.exception
    assert count_rows(surveyed_engine, SurveyResponse) == before
    errors = [e.value for e in at.error]
    assert errors[-1].startswith("Niet opgeslagen")
    # under the date field
    assert (
        errors[0]
        == f"De datum moet na de eerdere meting van deze persoon liggen ({baseline.day} {DUTCH_MONTHS[baseline.month - 1]} {baseline.year})."
    )
    assert at.radio(key=f"{form}-emptiness").value == "nee"  # what was typed is still there
    assert at.date_input(key=f"{form}-date").value == baseline - dt.timedelta(days=3)
    # nothing answered at all: refused too
    at2 = run_app(COORDINATOR, page=PAGE)
    form = open_form(at2, group_id, newcomer_id, "eindmeting")
    submit(at2, form)
    assert any("Er is geen enkele vraag beantwoord." in e.value for e in at2.error)
    assert count_rows(surveyed_engine, SurveyResponse) == before


def test_community_builder_sees_only_their_groups_with_small_cells_suppressed(surveyed_engine):
    with Session(surveyed_engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Tekle Mehari")).one()
        own_codes = set(
            session.exec(select(WelcomeGroup.code).where(WelcomeGroup.community_builder_id == builder.id))
        )
    at = run_app(Scope.community_builder("tekle", builder.id), page=PAGE)
    assert not at.exception
    mine = scored_responses().query("community_builder == 'tekle mehari'")
    shown = lonely_rows(open_tab(at, "surveys", "Eenzaamheid per meting"))
    k, n = share_lonely(mine, "nulmeting", "lid")
    row = shown.query("wave == 'nulmeting' and role == 'lid'").iloc[0]
    assert (row["n"], row["k"]) == (n, k)
    # two newcomers answered the eindmeting in Tekle Mehari's groups: fewer than 5, not shown
    assert share_lonely(mine, "eindmeting", "nieuwkomer")[1] == 2
    row = shown.query("wave == 'eindmeting' and role == 'nieuwkomer'").iloc[0]
    assert pd.isna(row["share"]) and pd.isna(row["k"]) and row["interval"] == "minder dan 5 mensen"
    assert "eindmeting te weinig antwoorden" in texts(at)
    assert (
        "Te weinig nieuwkomers met een nul- en eindmeting om de verandering in eenzaamheid te tonen."
        in texts(open_tab(at, "surveys", "Voor en na"))
    )
    # the entry form offers only their own groups
    open_tab(at, "surveys", "Antwoorden invoeren")
    assert {option.split(" · ")[0] for option in at.selectbox(key="survey_entry_group").options} == own_codes


def test_role_and_cohort_filters_and_english(surveyed_engine):
    at = run_app(COORDINATOR, page=PAGE, lang="en")
    assert at.title[0].value == "Surveys"
    assert "Response of newcomers: baseline" in texts(at)
    at.multiselect(key="surveys_roles").set_value(["lid"]).run()
    assert "Response of newcomers" not in texts(at)
    open_tab(at, "surveys", "Loneliness per wave")
    assert set(lonely_rows_en(at)["role"]) == {"member"}
    at.multiselect(key="surveys_cohorts").set_value([2024]).run()
    responses = scored_responses()
    from tests.survey_workbook import sheets

    first_start = sheets()["koppelingen"].groupby("groep_code")["gestart_op"].min().dt.year
    in_2024 = set(first_start[first_start == 2024].index)
    # With a cohort chosen, only the cells (municipality × variant × cohort) that are safe on their own count.
    k, n = share_lonely_in_safe_cells(responses[responses["groep_code"].isin(in_2024)], "eindmeting", "lid")
    assert n < share_lonely(responses[responses["groep_code"].isin(in_2024)], "eindmeting", "lid")[1]
    row = lonely_rows_en(at).query("wave == 'end'").iloc[0]
    assert (row["n"], row["k"]) == (n, k)
    assert (
        "Some figures are hidden or left out so that nothing about fewer than 5 people can be worked out, not even by "
        "subtracting the figures of different filter choices"
    ) in " ".join(c.value for c in at.caption)


def lonely_rows_en(at) -> pd.DataFrame:
    waves = table_with(at, "category")
    return waves[waves["category"].str.startswith("lonely")]


def test_empty_store_shows_the_page_without_figures(engine):
    from samenhier.services.users import create_user

    create_user(engine, "coordinator", "een-lang-wachtwoord", "coordinator")
    at = run_app(COORDINATOR, page=PAGE)
    assert not at.exception
    shown = texts(at)
    assert "Nog geen nieuwkomers in groepen die een meting bereikten." in shown
    assert not at.dataframe and not at.get("plotly_chart")
    assert "Nog geen antwoorden van nieuwkomers." in texts(open_tab(at, "surveys", "Eenzaamheid per meting"))
    assert "Er zijn geen groepen om antwoorden voor in te voeren." in texts(
        open_tab(at, "surveys", "Antwoorden invoeren")
    )
