"""Statistical disclosure control: which figures about people may be shown (the one place for the rules).

Used by the Enquêtes page (:mod:`samenhier.queries.surveys`), the year report
(:mod:`samenhier.queries.year_report`) and ``report --shareable`` (:mod:`samenhier.queries.report`).
``min_n`` is ``Settings.min_cell_size`` (default 5).

The rules, and where they come from
-----------------------------------

The rules are the two standard ones for frequency tables of the ESSnet *Handbook on Statistical
Disclosure Control* (Hundepool et al., ESSnet SDC 2010; book edition Wiley 2012, chapter 5 "Frequency
tables"), which CBS and Eurostat apply to their own tables:

1. **Threshold rule** (minimum frequency): a figure about fewer than ``min_n`` people — a count of 1 …
   ``min_n`` − 1, or a share, mean, median or test over fewer than ``min_n`` people — is not shown,
   and neither is its n (:func:`hide_count`, :func:`suppress_small`). Zero is shown: it describes
   nobody.
2. **Group (attribute) disclosure**, the frequency-table form of the dominance rule: when *all* the
   people of a cell give the same answer (a share of 0% or 100%), everyone who knows that a person is
   in the cell knows that person's answer. The handbook treats such a cell as unsafe when the cell is
   small. We call a cell small for this rule below ``2 × min_n`` (10) people: a share of 0% or 100%
   over fewer than :func:`dominance_n` people is treated exactly like a figure over fewer than
   ``min_n`` people (:func:`one_sided`).

Figures that cannot be worked out by subtraction
------------------------------------------------

Hiding a small cell is not enough when the same figure is also shown for a wider choice: on the
Enquêtes page "all municipalities 2/7 lonely" minus "Haarlem 0/5" gave away a hidden "Den Haag 2/2".
The handbook calls the fix *secondary* (complementary) suppression. Because the page's filters can
be combined freely (several municipalities, cohorts, variants), the figures are made safe at the
level of their smallest building block, the **cell** (in the code: *atom*): one municipality × one
group variant × one cohort (the year the group's first match started), per wave and role.

* A cell counts in a figure only when the cell itself could be shown: at least ``min_n`` people, and
  not all of them in one answer unless at least ``2 × min_n`` (:func:`cell_safe`). A cell that is too
  small is left out of **every** figure, including the totals over all municipalities.
* Every figure shown is then a sum of safe cells, and so is the difference of any two figures (or a
  total minus its parts): at least ``min_n`` people, and a difference that consists of one cell is a
  safe cell. Nothing about fewer than ``min_n`` people can be worked out from figures shown for
  different filter choices.
* One exception keeps the main view complete: when no filter narrows the selection (all
  municipalities, variants and cohorts the user may see), the cells that are too small count as
  one *pool*, if that pool is safe itself. Any difference then consists of safe cells and possibly
  the whole pool, which is safe too.
* The cost: a filtered figure leaves out the people of cells that are too small (a new
  municipality's first groups count once there are enough of them). The page says so in one sentence.

The year report uses the same cells (municipality × variant: its filters; see
:mod:`samenhier.queries.year_report`), and within one table also complementary suppression of its parts
(:func:`protect_parts`): when a part is hidden, the smallest other parts are hidden too until the
hidden parts count at least ``min_n`` people together.

Not covered: figures of *different* kinds (e.g. the number of responses against the number of scored
responses) and different as-of dates are not compared; a community builder, who sees the people of
their own groups anyway, sees figures over their own groups only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

ATOM = ("municipality", "variant", "cohort")
"""The columns that name a cell (atom) of the published lattice: the page's filters that can be combined."""
NO_COHORT = -1
"""The cohort of a group without a started match (it only counts under "all cohorts")."""


def dominance_n(min_n: int) -> int:
    """Below this many people a share of 0% or 100% is hidden: ``2 × min_n`` (rule 2 of the module notes)."""
    return 2 * min_n


def one_sided(k: int, n: int, min_n: int) -> bool:
    """``k`` of ``n`` is 0% or 100% over fewer than :func:`dominance_n` people (every answer the same, few people)."""
    return 0 < n < dominance_n(min_n) and (k == 0 or k == n)


def cell_safe(n: int, parts: Iterable[int], min_n: int, full: Iterable[int] = ()) -> bool:
    """A cell of ``n`` people may count in figures: ``n >= min_n``; none of its ``parts`` (the people in
    each answer or category shown as a share of n) is 0% or 100% of a cell smaller than ``2 × min_n``;
    and none of ``full`` (the bars of a distribution: people per value, where a value nobody gave is
    no answer about anyone) holds everyone of such a cell."""
    n = int(n)
    small = n < dominance_n(min_n)
    return (
        n >= min_n
        and not any(one_sided(int(k), n, min_n) for k in parts)
        and not (small and any(int(k) == n for k in full))
    )


def safe_cells(
    cells: pd.DataFrame, *, n: str, parts: Sequence[str], min_n: int, full: Sequence[str] = ()
) -> pd.Series:
    """Boolean Series over ``cells`` (one row per cell): :func:`cell_safe` of column ``n``, columns ``parts``
    and columns ``full``."""
    if cells.empty:
        return pd.Series([], dtype=bool, index=cells.index)
    split = 1 + len(parts)
    return pd.Series(
        [
            cell_safe(row[0], row[1:split], min_n, row[split:])
            for row in cells[[n, *parts, *full]].itertuples(index=False)
        ],
        index=cells.index,
        dtype=bool,
    )


def keep_safe_cells(
    rows: pd.DataFrame,
    *,
    by: Sequence[str],
    n: str,
    parts: Sequence[str],
    min_n: int,
    pool: bool = False,
    full: Sequence[str] = (),
) -> pd.DataFrame:
    """The ``rows`` (counts per group or finer, with the :data:`ATOM` columns and ``by``) that may count.

    The cells are the rows summed over :data:`ATOM` + ``by`` (``n`` and ``parts`` columns summed); a
    cell counts when :func:`cell_safe` (``full``: its distribution columns). With ``pool`` (the selection is everything the user may see:
    no filter narrows it) the cells that are not safe count too, as one pool per ``by`` key, when that
    pool taken together is safe. Returns the kept rows with a boolean column ``pooled`` added (True
    for the rows of the pool).
    """
    keys = [*ATOM, *by]
    if rows.empty:
        return rows.assign(pooled=pd.Series([], dtype=bool))
    figures = [n, *parts, *full]
    cells = rows.groupby(keys, as_index=False, dropna=False)[figures].sum()
    cells["_safe"] = safe_cells(cells, n=n, parts=parts, min_n=min_n, full=full)
    cells["pooled"] = False
    if pool and not cells["_safe"].all():
        rest = cells[~cells["_safe"]].groupby(list(by), as_index=False, dropna=False)[figures].sum()
        rest = rest.loc[safe_cells(rest, n=n, parts=parts, min_n=min_n, full=full), list(by)].assign(
            _pool=True
        )
        cells = cells.merge(rest, on=list(by), how="left")
        cells["pooled"] = ~cells["_safe"] & cells["_pool"].eq(True)
    kept = cells.loc[cells["_safe"] | cells["pooled"], [*keys, "pooled"]]
    return rows.merge(kept, on=keys, how="inner")[[*rows.columns, "pooled"]]


def coverage(rows: pd.DataFrame, kept: pd.DataFrame, *, by: Sequence[str], n: str) -> pd.DataFrame:
    """How many of the people in ``rows`` the figures leave out or count only in the pool, per ``by`` key.

    ``rows``: the rows given to :func:`keep_safe_cells` (column ``n``: people); ``kept``: what it returned
    (with ``pooled``). One row per ``by`` key of ``rows``: the ``by`` columns, ``people`` (all of them),
    ``left_out`` (people of the cells left out: in no figure) and ``pooled`` (people of small cells that
    count only together, in the pool). So the page can say why its figures differ from those of another
    filter choice or of a user with another reach (issue 14).
    """
    by = list(by)
    people = rows.groupby(by, as_index=False, dropna=False)[n].sum().rename(columns={n: "people"})
    counted = kept.groupby(by, dropna=False)[n].sum().rename("counted")
    pooled = kept.loc[kept["pooled"].astype(bool)].groupby(by, dropna=False)[n].sum().rename("pooled")
    out = (
        people.merge(counted, on=by, how="left")
        .merge(pooled, on=by, how="left")
        .fillna({"counted": 0, "pooled": 0})
    )
    out["left_out"] = out["people"] - out["counted"]
    return out[[*by, "people", "left_out", "pooled"]].astype(
        {"people": "int64", "left_out": "int64", "pooled": "int64"}
    )


def hide_count(n: int | None, min_n: int) -> int | None:
    """A count of people: None when 1 … ``min_n`` − 1 (0 stays: it describes nobody)."""
    return None if n is None or 0 < n < min_n else int(n)


def suppress_statistic(value: Any, n: int, min_n: int) -> Any:
    """A statistic over ``n`` people (median, share, mean): None when ``n`` is below ``min_n``."""
    return None if n < min_n else value


def share_or_none(share: float | None, n: int, min_n: int) -> float | None:
    """A share (0–1) over ``n`` people, None when below ``min_n`` or 0%/100% over fewer than ``2 × min_n``."""
    if share is None or n < min_n:
        return None
    return None if one_sided(round(share * n), n, min_n) else share


def share_shown(k: int, n: int, min_n: int) -> bool:
    """A share k/n may be shown in a document that goes outside (year report, shareable report): at least
    ``min_n`` people; neither the k in it nor the n − k outside it is a group of 1 … ``min_n`` − 1 (the
    share and n would give that group's size away); and not 0% or 100% over fewer than ``2 × min_n``."""
    return n >= min_n and not 0 < k < min_n and not 0 < n - k < min_n and not one_sided(k, n, min_n)


def protect_parts(parts: dict[Any, int], min_n: int) -> dict[Any, int | None]:
    """``parts`` of a shown total with every count of 1 … ``min_n`` − 1 hidden (None), plus complementary
    cells: while fewer than two parts are hidden, or the hidden parts count fewer than ``min_n`` people
    together, the smallest shown non-zero part is hidden too. So subtracting the shown parts from the
    total gives only the sum of two or more hidden parts, itself at least ``min_n`` (or everything is
    hidden). Order of ``parts`` is kept."""
    hidden = {k for k, v in parts.items() if 0 < v < min_n}
    if hidden:
        while len(hidden) < 2 or sum(parts[k] for k in hidden) < min_n:
            shown = [(v, str(k), k) for k, v in parts.items() if k not in hidden and v > 0]
            if not shown:
                break
            hidden.add(min(shown)[2])
    return {k: (None if k in hidden else int(v)) for k, v in parts.items()}


def suppress_small(frame: pd.DataFrame, *, n: str, columns: Sequence[str], min_n: int) -> pd.DataFrame:
    """``frame`` with a boolean column ``suppressed`` and ``columns`` and ``n`` blanked (NaN) there.

    A row is suppressed when ``n`` is NaN (its people were all in cells left out, see the module notes)
    or below ``min_n``; ``n`` itself is blanked unless it is 0 (a suppressed row shows neither its figures
    nor its n). ``min_n`` is ``Settings.min_cell_size`` (default 5).
    """
    out = frame.copy()
    people = out[n].astype(float)
    out["suppressed"] = people.isna() | (people < min_n)
    for column in columns:
        out[column] = out[column].astype(float).where(~out["suppressed"])
    out[n] = people.where(~out["suppressed"] | (people == 0))
    return out
