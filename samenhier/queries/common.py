"""Small helpers shared by the queries."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine


def read_frame(engine: Engine, query, **kwargs) -> pd.DataFrame:
    """Run a SQLAlchemy selectable and return its rows as a DataFrame (column names as labelled)."""
    with engine.connect() as connection:
        return pd.read_sql(query, connection, **kwargs)


def month_of(engine: Engine, column):
    """SQL expression for a date column's calendar month as ``YYYY-MM`` text, in the engine's dialect."""
    if engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


def count_rows(engine: Engine, model) -> int:
    """Number of rows in ``model``'s table."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())
