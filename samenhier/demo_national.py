"""National-scale fictional data for benchmarks: 40 municipalities, 5,000 groups, 6,000 newcomers
(800 waiting), ~25,000 members, ~400,000 meetings over 8 years, ~69,000 survey responses.

Survey responses: every person of a matched group (its members and its newcomer) is asked in each
wave the match reached, and 90% answer. A person answers a wave at most once (the schema's unique
constraints), so ~25,000 members and ~4,900 matched newcomers over at most three waves cap the store
near 75,000 responses even at 100% response: the 100,000 of the issue would need more people, not
more answers per person.

Rows are generated straight into the tables with bulk inserts (SQLAlchemy Core ``executemany``), not
through the validated import: at this size the import's per-row validation would dominate, and the
generator only produces values the schema's CHECK constraints accept (the database still checks
them). Deterministic for a seed and as-of date.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from samenhier.clock import now_utc
from samenhier.demo import (
    BUILDERS,
    FIRST_NAMES_NL,
    LAST_NAMES_NL,
    NEWCOMERS,
    NOTES,
    neighbourhoods,
    status_for_age,
)
from samenhier.models import (
    LONELINESS_ITEMS,
    AuditEvent,
    CommunityBuilder,
    GroupStatus,
    Match,
    MatchStatus,
    Meeting,
    MeetingKind,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    SurveyResponse,
    Wave,
    WelcomeGroup,
)
from samenhier.municipalities import MUNICIPALITIES

BATCH = 20_000
KINDS = [k.value for k in MeetingKind] + [MeetingKind.GROUP_ACTIVITY.value] * 3


@dataclass(frozen=True)
class NationalSize:
    municipalities: int = 40
    groups: int = 5_000
    newcomers: int = 6_000
    waiting_newcomers: int = 800
    meetings_per_year: int = 95  # per running match: about two a week, one-to-one and group together
    years: int = 8


def _batches(rows: list[dict]) -> Iterator[list[dict]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert(connection, model: type[SQLModel], rows: list[dict]) -> None:
    for batch in _batches(rows):
        connection.execute(insert(model), batch)


@dataclass
class _Ids:
    """The last id given out per table (rows carry their own ids, so the tables can be inserted in bulk)."""

    member: int = 0
    newcomer: int = 0
    match: int = 0
    meeting: int = 0
    survey: int = 0


@dataclass(frozen=True)
class _Programme:
    """What every group's rows are drawn against: the municipalities, their builders, the period and the size."""

    rows: dict[type[SQLModel], list[dict]]
    municipalities: list[tuple[str, str]]
    builders_by_municipality: dict[int, list[int]]
    start: dt.date
    as_of: dt.date
    size: NationalSize


def load_national(
    engine: Engine, as_of: dt.date, *, seed: int = 7, size: NationalSize = NationalSize()
) -> dict[str, int]:
    """Fill an empty store with national-scale data; returns the number of rows written per table.

    Raises:
        sqlalchemy.exc.IntegrityError: the store is not empty (codes would collide).
    """
    rng = random.Random(seed)
    start_of_programme = as_of - dt.timedelta(days=365 * size.years)
    municipalities = list(MUNICIPALITIES.items())[: size.municipalities]
    rows: dict[type[SQLModel], list[dict]] = {
        m: []
        for m in (
            Municipality,
            CommunityBuilder,
            WelcomeGroup,
            Member,
            Newcomer,
            Match,
            Meeting,
            SurveyResponse,
        )
    }
    programme = _Programme(
        rows, municipalities, _add_municipalities(rows, municipalities), start_of_programme, as_of, size
    )
    ids = _Ids()
    for group_id in range(1, size.groups + 1):
        _add_group(programme, rng, ids, group_id)
    for _ in range(size.waiting_newcomers):
        ids.newcomer += 1
        rows[Newcomer].append(
            _newcomer(
                rng,
                ids.newcomer,
                rng.randint(1, len(municipalities)),
                as_of - dt.timedelta(days=rng.randint(3, 500)),
                NewcomerStatus.WAITING.value,
            )
        )
    while ids.newcomer < size.newcomers:  # the rest of the 6,000 withdrew before a match
        ids.newcomer += 1
        registered = start_of_programme + dt.timedelta(days=rng.randint(0, (as_of - start_of_programme).days))
        rows[Newcomer].append(
            _newcomer(
                rng,
                ids.newcomer,
                rng.randint(1, len(municipalities)),
                registered,
                NewcomerStatus.WITHDRAWN.value,
            )
        )
    _write(engine, rows, seed)
    return {model.__tablename__: len(table_rows) for model, table_rows in rows.items()}


def _add_municipalities(
    rows: dict[type[SQLModel], list[dict]], municipalities: list[tuple[str, str]]
) -> dict[int, list[int]]:
    """The municipalities and three community builders in each; returns the builders' ids per municipality id."""
    for i, (name, code) in enumerate(municipalities, start=1):
        rows[Municipality].append({"id": i, "name": name, "cbs_code": code})
    builder_id = 0
    builders_by_municipality: dict[int, list[int]] = {}
    for m_id, (name, _code) in enumerate(municipalities, start=1):
        builders_by_municipality[m_id] = []
        for b in range(3):
            builder_id += 1
            base, languages = BUILDERS[(m_id + b) % len(BUILDERS)]
            rows[CommunityBuilder].append(
                {
                    "id": builder_id,
                    "name": f"{base} ({name} {b + 1})",
                    "email": f"cb{builder_id}@voorbeeld.nl",
                    "municipality_id": m_id,
                    "languages": languages,
                    "archived": False,
                    "version": 1,
                }
            )
            builders_by_municipality[m_id].append(builder_id)
    return builders_by_municipality


def _add_group(programme: _Programme, rng: random.Random, ids: _Ids, group_id: int) -> None:
    """One welcome group with its members; a group past its training also gets its newcomer, match, meetings and surveys."""
    rows, municipalities, size, as_of = (
        programme.rows,
        programme.municipalities,
        programme.size,
        programme.as_of,
    )
    m_id = rng.randint(1, len(municipalities))
    signup = programme.start + dt.timedelta(
        days=int((group_id / size.groups) * (as_of - programme.start).days * 0.97)
    )
    age = (as_of - signup).days
    status = status_for_age(rng, age, active_weight=5, completed_weight=6)
    training = (
        signup + dt.timedelta(days=rng.randint(25, 50))
        if status != GroupStatus.RECRUITING and age > 50
        else None
    )
    rows[WelcomeGroup].append(
        {
            "id": group_id,
            "code": f"{municipalities[m_id - 1][1][2:]}-{group_id:05d}",
            "name": f"Welkomgroep {rng.choice(neighbourhoods(municipalities[m_id - 1][0]))} {group_id}",
            "municipality_id": m_id,
            "variant": rng.choice(["statushouders"] * 6 + ["hervestiging", "studenten"]),
            "status": status.value,
            "community_builder_id": rng.choice(programme.builders_by_municipality[m_id]),
            "signup_date": signup,
            "training_completed_date": training,
            "notes": "",
            "archived": False,
            "version": 1,
        }
    )
    group_members = []
    for k in range(rng.randint(3, 7) if rng.random() < 0.5 else 5):
        ids.member += 1
        first, last = rng.choice(FIRST_NAMES_NL), rng.choice(LAST_NAMES_NL)
        rows[Member].append(
            {
                "id": ids.member,
                "code": f"L{ids.member:06d}",
                "group_id": group_id,
                "first_name": first,
                "last_name": last,
                "email": f"lid{ids.member}@voorbeeld.nl",
                "phone": f"06-{rng.randint(10_000_000, 99_999_999)}",
                "role": "contactpersoon" if k == 0 else "lid",
                "joined_date": signup,
                "vog_date": signup + dt.timedelta(days=rng.randint(5, 40)) if age > 40 else None,
                "archived": False,
                "erased": False,
                "version": 1,
            }
        )
        group_members.append(ids.member)
    if status not in (GroupStatus.ACTIVE, GroupStatus.COMPLETED, GroupStatus.STOPPED) or training is None:
        return
    ids.newcomer += 1
    rows[Newcomer].append(_newcomer(rng, ids.newcomer, m_id, training, NewcomerStatus.MATCHED.value))
    started, last_day = _add_match(programme, rng, ids, group_id, status, training)
    span = max(1, (last_day - started).days)
    count = max(1, round(size.meetings_per_year * span / 365 * rng.uniform(0.8, 1.2)))
    for day in sorted(rng.randint(0, span) for _ in range(count)):
        ids.meeting += 1
        rows[Meeting].append(
            {
                "id": ids.meeting,
                "group_id": group_id,
                "date": started + dt.timedelta(days=day),
                "kind": rng.choice(KINDS),
                "duration_minutes": rng.choice([60, 90, 120, 180]),
                "members_present": rng.randint(1, len(group_members)),
                "newcomers_present": 1,
                "note": rng.choice(NOTES),
                "version": 1,
            }
        )
    _add_surveys(programme, rng, ids, group_id, started, last_day, group_members)


def _add_match(
    programme: _Programme,
    rng: random.Random,
    ids: _Ids,
    group_id: int,
    status: GroupStatus,
    training: dt.date,
) -> tuple[dt.date, dt.date]:
    """The match of a group past its training with the newcomer just added; returns its start and last day."""
    as_of = programme.as_of
    ids.match += 1
    proposed = training + dt.timedelta(days=rng.randint(10, 60))
    started = min(proposed + dt.timedelta(days=rng.randint(7, 25)), as_of)
    ended = None
    match_status = MatchStatus.ACTIVE.value
    if status == GroupStatus.COMPLETED:
        ended, match_status = min(started + dt.timedelta(days=365), as_of), MatchStatus.COMPLETED.value
    elif status == GroupStatus.STOPPED:
        ended, match_status = (
            min(started + dt.timedelta(days=rng.randint(60, 250)), as_of),
            MatchStatus.STOPPED.value,
        )
    programme.rows[Match].append(
        {
            "id": ids.match,
            "group_id": group_id,
            "newcomer_id": ids.newcomer,
            "proposed_date": proposed,
            "started_date": started,
            "ended_date": ended,
            "status": match_status,
            "end_reason": "" if ended is None else "jaar afgerond",
            "version": 1,
        }
    )
    return started, ended or as_of


def _add_surveys(
    programme: _Programme,
    rng: random.Random,
    ids: _Ids,
    group_id: int,
    started: dt.date,
    last_day: dt.date,
    group_members: list[int],
) -> None:
    """The waves that fell within the match (about nine in ten people answer each), for the newcomer and the members."""
    newcomer_id = ids.newcomer
    for wave, offset in ((Wave.BASELINE, 7), (Wave.MIDTERM, 182), (Wave.END, 358)):
        when = started + dt.timedelta(days=offset)
        if when > last_day:
            break
        for person, is_newcomer in [(newcomer_id, True)] + [(m, False) for m in group_members]:
            if rng.random() < 0.1:
                continue
            ids.survey += 1
            lonely = (0.75 if is_newcomer else 0.25) * (0.55 if wave == Wave.END else 1.0)
            answers = {}
            for index, item in enumerate(LONELINESS_ITEMS):
                negative = index in (0, 3, 5)
                lonely_answer = (
                    rng.choice(["ja", "min of meer"]) if negative else rng.choice(["nee", "min of meer"])
                )
                answers[item] = lonely_answer if rng.random() < lonely else ("nee" if negative else "ja")
            programme.rows[SurveyResponse].append(
                {
                    "id": ids.survey,
                    "member_id": None if is_newcomer else person,
                    "newcomer_id": person if is_newcomer else None,
                    "group_id": group_id,
                    "wave": wave.value,
                    "date": when,
                    **answers,
                    "feel_at_home": rng.randint(2, 5),
                    "self_reported_change": rng.choice(["minder", "minder", "gelijk", "meer"])
                    if wave == Wave.END
                    else None,
                    "new_contacts": rng.randint(0, 8) if wave == Wave.END else None,
                    "version": 1,
                }
            )


def _write(engine: Engine, rows: dict[type[SQLModel], list[dict]], seed: int) -> None:
    """Insert every row in one transaction, with one audit event for the whole load."""
    with engine.begin() as connection:
        for model, table_rows in rows.items():
            _insert(connection, model, table_rows)
        connection.execute(
            insert(AuditEvent),
            [
                {
                    "at": now_utc(),
                    "username": "demo",
                    "action": "import",
                    "table_name": "*",
                    "record_code": f"national demo seed {seed}",
                    "changes": "{}",
                    "record_id": None,
                }
            ],
        )
        if connection.dialect.name == "postgresql":
            # The rows carry their own ids, which PostgreSQL's id sequences do not see: move each sequence
            # past the largest id, or the next record made in the app would collide with one of these.
            for model in rows:
                largest = connection.execute(select(func.max(model.id))).scalar_one()
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :largest)"),
                    {"table": model.__tablename__, "largest": largest},
                )


def _newcomer(
    rng: random.Random, newcomer_id: int, municipality_id: int, registered: dt.date, status: str
) -> dict:
    country, languages, firsts, lasts = rng.choice(NEWCOMERS)
    arrival = registered - dt.timedelta(days=rng.randint(60, 900))
    return {
        "id": newcomer_id,
        "code": f"N{newcomer_id:06d}",
        "first_name": rng.choice(firsts),
        "last_name": rng.choice(lasts),
        "municipality_id": municipality_id,
        "country_of_origin": country,
        "languages": languages,
        "household_size": rng.choice([1, 1, 2, 3, 4, 5, 6]),
        "arrival_date": arrival,
        "permit_date": arrival + dt.timedelta(days=rng.randint(30, 200)),
        "registration_date": registered,
        "status": status,
        "email": f"nk{newcomer_id}@voorbeeld.nl",
        "phone": f"06-{rng.randint(10_000_000, 99_999_999)}",
        "archived": False,
        "erased": False,
        "version": 1,
    }
