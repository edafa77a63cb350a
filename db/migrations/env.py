"""Alembic environment: the target is SQLModel's metadata from samenhier.models.

Run through samenhier.db.migrate (which passes the connection in ``config.attributes``), or by hand:
``.venv/bin/alembic -c db/alembic.ini upgrade head`` (uses SAMENHIER_DATABASE_URL).
"""

from alembic import context
from sqlmodel import SQLModel

import samenhier.models  # noqa: F401  (registers the tables)
from samenhier.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    with make_engine().begin() as conn:
        run_migrations(conn)
