"""The schema as Alembic builds it: every table, re-runs are no-ops, CHECK constraints and foreign keys bite.

On SQLite and on PostgreSQL (tests marked ``both_backends``, see tests/conftest.py).
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import samenhier.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from samenhier.db import MIGRATIONS_DIR, make_engine, migrate

both_backends = pytest.mark.both_backends

CHECK_FAILED = "CHECK constraint failed|violates check constraint"  # SQLite's words | PostgreSQL's
FOREIGN_KEY_FAILED = "FOREIGN KEY constraint failed|violates foreign key constraint"


@pytest.fixture
def fresh_engine(request, backend, tmp_path):
    """An engine on an empty store (a SQLite file, or a PostgreSQL database) that has never been migrated."""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        name = f"fresh_{tmp_path.name}".lower().replace("-", "_")[:60]
        engine = make_engine(server.create_database(name))
        request.addfinalizer(lambda: server.drop_database(name))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    yield engine
    engine.dispose()


def _schema(connection) -> list:
    """The schema as the database describes it: SQLite's own CREATE statements; on PostgreSQL every
    table's columns, indexes, unique, check and foreign-key constraints as the inspector reports them."""
    if connection.dialect.name == "sqlite":
        return connection.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).fetchall()
    inspector = inspect(connection)
    return [
        repr(
            (
                name,
                inspector.get_columns(name),
                inspector.get_indexes(name),
                inspector.get_unique_constraints(name),
                inspector.get_check_constraints(name),
                inspector.get_foreign_keys(name),
                inspector.get_pk_constraint(name),
            )
        )
        for name in sorted(inspector.get_table_names())
    ]  # repr: column types compare by identity, their text by value


def _head() -> str:
    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert len(heads) == 1, f"the migrations must have one head, found {heads}"
    return heads[0]


def _version(engine) -> list[str]:
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT version_num FROM alembic_version"))]


@both_backends
def test_empty_file_gets_every_table(fresh_engine):
    with fresh_engine.connect() as c:
        assert inspect(c).get_table_names() == []
    migrate(fresh_engine)
    with fresh_engine.connect() as c:
        tables = set(inspect(c).get_table_names())
    assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert _version(fresh_engine) == [_head()]


@both_backends
def test_migrated_schema_matches_the_models(engine):
    """No drift between the migration scripts and models.py (columns, types, indexes, uniques, FKs)."""
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata)
        assert diff == []
        # Alembic does not compare CHECK constraints: compare their names table by table.
        inspector = inspect(c)
        for name, table in SQLModel.metadata.tables.items():
            in_db = {ck["name"] for ck in inspector.get_check_constraints(name)}
            in_models = {ck.name for ck in table.constraints if ck.__class__.__name__ == "CheckConstraint"}
            assert in_db == in_models, name


@both_backends
def test_second_migrate_is_a_no_op_and_keeps_data(fresh_engine):
    migrate(fresh_engine)
    with fresh_engine.begin() as c:
        c.execute(text("INSERT INTO municipality (name, cbs_code) VALUES ('Den Haag', 'GM0518')"))
    with fresh_engine.connect() as c:
        schema_before = _schema(c)

    migrate(fresh_engine)

    assert _version(fresh_engine) == [_head()]
    with fresh_engine.connect() as c:
        assert c.execute(text("SELECT name, cbs_code FROM municipality")).fetchall() == [
            ("Den Haag", "GM0518")
        ]
        assert _schema(c) == schema_before


def test_sqlite_pragmas_are_on(engine):
    with engine.connect() as c:
        assert c.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert c.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert c.execute(text("PRAGMA busy_timeout")).scalar_one() > 0


# ----------------------------------------------------------------------------------- raw SQL against the schema

# One valid row per table; each bad case overrides one column. The valid row is inserted first in every
# test, so a refusal is known to come from the overridden value, not from a broken base row.
BASE_ROWS: dict[str, dict[str, object]] = {
    "welcome_group": dict(
        code="'0518-900'",
        name="'Testgroep'",
        municipality_id=1,
        variant="'statushouders'",
        status="'werving'",
        signup_date="'2026-01-10'",
        training_completed_date="NULL",
        notes="''",
        archived="FALSE",
        version=1,
    ),
    "newcomer": dict(
        code="'N9000'",
        first_name="'Amal'",
        last_name="'Haddad'",
        municipality_id=1,
        country_of_origin="'Syrië'",
        languages="'Arabisch'",
        household_size=3,
        arrival_date="'2024-03-01'",
        permit_date="'2024-06-01'",
        registration_date="'2025-01-15'",
        status="'wacht'",
        archived="FALSE",
        erased="FALSE",
        version=1,
    ),
    "meeting": dict(
        group_id=1,
        date="'2026-02-01'",
        kind="'groepsactiviteit'",
        duration_minutes=90,
        members_present=3,
        newcomers_present=1,
        note="''",
        version=1,
    ),
    "member": dict(
        code="'L9000'",
        group_id=1,
        first_name="'Anne'",
        last_name="'Visser'",
        role="'lid'",
        joined_date="'2026-01-10'",
        archived="FALSE",
        erased="FALSE",
        version=1,
    ),
    "survey_response": dict(
        member_id=1,
        newcomer_id="NULL",
        group_id=1,
        wave="'nulmeting'",
        date="'2026-02-02'",
        emptiness="'nee'",
        fall_back_on="'ja'",
        trust="'ja'",
        miss_people="'nee'",
        connected="'ja'",
        abandoned="'nee'",
        feel_at_home=4,
        version=1,
    ),
}


def _insert(connection, table: str, values: dict[str, object]) -> None:
    columns = ", ".join(values)
    literals = ", ".join(str(v) for v in values.values())
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({literals})"))


@pytest.fixture
def seeded(engine):
    """The store with one municipality (id 1), one group (id 1) and one member (id 1), all via raw SQL."""
    with engine.begin() as c:
        c.execute(text("INSERT INTO municipality (id, name, cbs_code) VALUES (1, 'Den Haag', 'GM0518')"))
        _insert(c, "welcome_group", {"id": 1, **BASE_ROWS["welcome_group"]})
        _insert(c, "member", {"id": 1, **BASE_ROWS["member"]})
        if c.dialect.name == "postgresql":  # rows given their own id leave PostgreSQL's id sequences behind
            for table in ("municipality", "welcome_group", "member"):
                c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"))
    return engine


def _unique(table: str, row: dict[str, object], n: int) -> dict[str, object]:
    """The base row with its unique columns changed, so it can be inserted next to the seeded one."""
    row = dict(row)
    if "code" in row:
        row["code"] = f"'X{n}'"
    if table == "survey_response":
        row["wave"] = "'eindmeting'" if n else row["wave"]
    return row


@both_backends
@pytest.mark.parametrize("table", ["welcome_group", "newcomer", "meeting", "member", "survey_response"])
def test_base_rows_are_accepted(seeded, table):
    with seeded.begin() as c:
        _insert(c, table, _unique(table, BASE_ROWS[table], 1))


BAD_VALUES = [
    ("welcome_group", "status", "'bogus'"),
    ("welcome_group", "variant", "'Statushouders'"),  # the schema stores canonical words only
    ("welcome_group", "training_completed_date", "'2025-12-31'"),  # before signup_date
    ("newcomer", "household_size", "0"),
    ("newcomer", "household_size", "16"),
    ("newcomer", "status", "'weg'"),
    ("newcomer", "permit_date", "'2024-02-29'"),  # before arrival_date
    ("meeting", "duration_minutes", "0"),
    ("meeting", "duration_minutes", "-30"),
    ("meeting", "duration_minutes", "1441"),
    ("meeting", "kind", "'feest'"),
    ("meeting", "members_present", "-1"),
    ("member", "role", "'voorzitter'"),
    ("survey_response", "emptiness", "'misschien'"),
    ("survey_response", "emptiness", "'Ja'"),
    ("survey_response", "feel_at_home", "6"),
    ("survey_response", "wave", "'slotmeting'"),
]


@both_backends
@pytest.mark.parametrize(("table", "column", "value"), BAD_VALUES)
def test_check_constraints_refuse_bad_rows(seeded, table, column, value):
    row = _unique(table, BASE_ROWS[table], 2)
    row[column] = value
    with pytest.raises(IntegrityError, match=CHECK_FAILED), seeded.begin() as c:
        _insert(c, table, row)


@both_backends
def test_survey_response_needs_exactly_one_respondent(seeded):
    with seeded.begin() as c:
        c.execute(text("INSERT INTO municipality (id, name, cbs_code) VALUES (2, 'Almere', 'GM0034')"))
        _insert(c, "newcomer", {"id": 1, **BASE_ROWS["newcomer"]})
    for member_id, newcomer_id in (("NULL", "NULL"), ("1", "1")):
        row = _unique("survey_response", BASE_ROWS["survey_response"], 3)
        row.update(member_id=member_id, newcomer_id=newcomer_id)
        with pytest.raises(IntegrityError, match=CHECK_FAILED), seeded.begin() as c:
            _insert(c, "survey_response", row)


@both_backends
def test_foreign_keys_are_enforced(seeded):
    row = _unique("member", BASE_ROWS["member"], 4)
    row["group_id"] = 999
    with pytest.raises(IntegrityError, match=FOREIGN_KEY_FAILED), seeded.begin() as c:
        _insert(c, "member", row)
    with seeded.connect() as c:
        assert c.execute(text("SELECT count(*) FROM member")).scalar_one() == 1


@both_backends
def test_deleting_a_referenced_group_fails(seeded):
    with pytest.raises(IntegrityError, match=FOREIGN_KEY_FAILED), seeded.begin() as c:
        c.execute(text("DELETE FROM welcome_group WHERE id = 1"))
