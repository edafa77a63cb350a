"""The survey tests' shared parts: expectations worked out from the workbook with pandas alone, the
Wilson formula by hand, and a fixture with the workbook imported (once per session, copied per test).

The expectations are independent of the product code: the workbook is read with pandas, answers are
normalised and scored here by the published rules (shared/data/README.md), vectorised, without
samenhier.loneliness.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
from sample_data import WORKBOOK
from sqlalchemy.engine import Engine, make_url

from samenhier.db import get_engine, make_engine
from samenhier.models import WelcomeGroup

# Workbook column → (store item, kind). Emotional: ja / min of meer → 1; social: nee / min of meer → 1.
ITEMS = {
    "leegte": ("emptiness", "emotional"),
    "terugvallen": ("fall_back_on", "social"),
    "vertrouwen": ("trust", "social"),
    "mis_mensen": ("miss_people", "emotional"),
    "verbonden": ("connected", "social"),
    "in_de_steek": ("abandoned", "emotional"),
}


def _fold(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = unicodedata.normalize("NFC", str(value)).strip().casefold().replace("-", " ")
    return " ".join(text.split()) or None


@cache
def sheets(path: Path = WORKBOOK) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None)


def scored_responses(path: Path = WORKBOOK) -> pd.DataFrame:
    """The enquetes sheet with ``total`` (float, NaN when more than one item is missing) and the
    groups' ``community_builder`` (folded) and ``gemeente``."""
    e = sheets(path)["enquetes"].copy()
    scores = pd.DataFrame(index=e.index)
    for column, (_item, kind) in ITEMS.items():
        answer = e[column].map(_fold)
        lonely_answers = {"ja", "min of meer"} if kind == "emotional" else {"nee", "min of meer"}
        scores[column] = np.where(answer.isna(), np.nan, answer.isin(lonely_answers).astype(float))
    missing = scores.isna().sum(axis=1)
    e["total"] = scores.sum(axis=1).where(missing <= 1)
    e["meting"] = e["meting"].map(_fold)
    e["rol"] = e["rol"].map(_fold)
    e["eenzaamheid_verandering"] = e["eenzaamheid_verandering"].map(_fold)
    groups = sheets(path)["groepen"][["groep_code", "community_builder", "gemeente"]].copy()
    groups["community_builder"] = groups["community_builder"].map(_fold)
    return e.merge(groups, on="groep_code", how="left")


def share_lonely(responses: pd.DataFrame, wave: str, role: str) -> tuple[int, int]:
    """(lonely, scored) among ``responses`` of ``wave`` and ``role``: total ≥ 2 over totals present."""
    part = responses[(responses["meting"] == wave) & (responses["rol"] == role) & responses["total"].notna()]
    return int((part["total"] >= 2).sum()), len(part)


def share_lonely_in_safe_cells(
    responses: pd.DataFrame, wave: str, role: str, min_n: int = 5
) -> tuple[int, int]:
    """:func:`share_lonely` over the cells (municipality × variant × cohort = year of the group's first match
    start) that may count under the disclosure rules, worked out here by hand: a cell counts when at
    least ``min_n`` of its ``role`` responses to ``wave`` are scored and, below ``2 × min_n``, none of
    lonely / not lonely (0–1) / moderately (2–4) / severely (5–6) holds 0% or 100% of them."""
    wb = sheets()
    cohort = wb["koppelingen"].groupby("groep_code")["gestart_op"].min().dt.year.rename("cohort")
    cells = wb["groepen"][["groep_code", "gemeente", "variant"]].merge(
        cohort, left_on="groep_code", right_index=True, how="left"
    )
    part = responses[(responses["meting"] == wave) & (responses["rol"] == role) & responses["total"].notna()]
    part = part.drop(columns=["gemeente"]).merge(cells, on="groep_code")
    kept = []
    for _, cell in part.groupby(["gemeente", "variant", "cohort"], dropna=False):
        n = len(cell)
        counts = [
            (cell["total"] >= 2).sum(),
            (cell["total"] <= 1).sum(),
            cell["total"].between(2, 4).sum(),
            (cell["total"] >= 5).sum(),
        ]
        if n >= min_n and (n >= 2 * min_n or all(0 < c < n for c in counts)):
            kept.append(cell)
    if not kept:
        return 0, 0
    return share_lonely(pd.concat(kept), wave, role)


def paired(responses: pd.DataFrame, role: str, column: str = "total") -> pd.DataFrame:
    """Per person of ``role`` with a nulmeting and an eindmeting in the same group that both have ``column``:
    columns baseline, end, change (end − baseline)."""
    part = responses[responses["rol"] == role]
    base = part[part["meting"] == "nulmeting"].set_index(["respondent_code", "groep_code"])[column]
    end = part[part["meting"] == "eindmeting"].set_index(["respondent_code", "groep_code"])[column]
    both = pd.concat([base.rename("baseline"), end.rename("end")], axis=1, join="inner").dropna()
    both["change"] = both["end"] - both["baseline"]
    return both


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z the 97.5% normal quantile."""
    z = NormalDist().inv_cdf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


COORDINATOR = ("coordinator", "een-lang-wachtwoord")
_TEMPLATE_DIR = tempfile.TemporaryDirectory(prefix="samenhier-surveys-")


@cache
def _surveyed_template() -> Path:
    """A migrated store with the workbook imported and one coordinator account (built once per run)."""
    from samenhier.db import migrate
    from samenhier.io.workbook import import_paths
    from samenhier.services.users import create_user

    path = Path(_TEMPLATE_DIR.name) / "surveyed.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    import_paths(engine, [WORKBOOK], username="test")
    create_user(engine, *COORDINATOR, "coordinator")
    engine.dispose()
    return path


def surveyed_store(db_url: str) -> Iterator[Engine]:
    """Copy the workbook store to ``db_url`` (the test's own file, from the ``db_url`` fixture) and yield an engine.

    On PostgreSQL (``db_url`` is then the test's own database, with the workbook imported when the
    fixture is named ``surveyed_engine``, see tests/conftest.py) the account is created in it instead.
    Use in a test module as ``@pytest.fixture def surveyed_engine(db_url): yield from surveyed_store(db_url)``.
    """
    if make_url(db_url).get_backend_name() == "sqlite":
        shutil.copy(_surveyed_template(), make_url(db_url).database)
        engine = get_engine(db_url)
    else:
        from samenhier.io.workbook import import_paths
        from samenhier.queries.common import count_rows
        from samenhier.services.users import create_user

        engine = get_engine(db_url)
        if count_rows(engine, WelcomeGroup) == 0:
            import_paths(engine, [WORKBOOK], username="test")
        create_user(engine, *COORDINATOR, "coordinator")
    yield engine
    engine.dispose()
    get_engine.cache_clear()
