"""The differencing search of issue 16 item 4: can a hidden figure be worked out by subtracting shown ones?

Independent of :mod:`samenhier.disclosure`: this module knows only what a page or report *shows* (n and
k per figure, NaN/None where hidden) and which groups each filter choice covers (by group id). It
then subtracts:

- **pairs**: every two observations of the same figure where one filter choice's groups contain the
  other's (or are the same: two different numbers for the same people differ by nothing); and
- **parent minus shown children**: a figure for a choice minus the sum of the shown figures for the
  parts it splits into (per municipality, per cohort, and the per-municipality rows of a table).

A result is a **leak** when it describes 1 … ``min_n`` − 1 people, or when it is a share of 0% or 100%
over fewer than ``2 × min_n`` people (kind ``share``: k = 0 or k = n; kind ``dist``, a distribution's
bar: k = n only). A shown figure that is such a leak by itself counts too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Observation:
    """One shown figure: ``key`` names it (e.g. ("lonely", wave, role, category)), ``groups`` the people's
    groups (ids) of the filter choice it was shown for, ``n``/``k`` the shown numbers (None where hidden)."""

    choice: str
    groups: frozenset
    key: tuple
    n: float | None
    k: float | None
    kind: str = "share"


@dataclass(frozen=True)
class Leak:
    how: str
    key: tuple
    n: float
    k: float | None


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _leak(n, k, kind: str, min_n: int) -> bool:
    if not _known(n) or n == 0:
        return False
    if 0 < n < min_n:
        return True
    if not _known(k) or n >= 2 * min_n:
        return False
    return k == n or (kind == "share" and k == 0)


@dataclass
class Search:
    min_n: int = 5
    observations: list[Observation] = field(default_factory=list)
    families: list[tuple[str, list[str]]] = field(default_factory=list)
    """(parent choice, [child choices]): the children are disjoint parts of the parent."""

    def add(self, choice: str, groups, key: tuple, n, k=None, kind: str = "share") -> None:
        self.observations.append(
            Observation(
                choice, frozenset(groups), key, n if _known(n) else None, k if _known(k) else None, kind
            )
        )

    def leaks(self) -> list[Leak]:
        found: list[Leak] = []
        by_key: dict[tuple, list[Observation]] = defaultdict(list)
        for o in self.observations:
            by_key[o.key].append(o)
            if _leak(o.n, o.k, o.kind, self.min_n):
                found.append(Leak(f"shown for {o.choice}", o.key, o.n, o.k))
        for key, observations in by_key.items():
            for a in observations:
                for b in observations:
                    if a is b or not b.groups <= a.groups or a.n is None or b.n is None:
                        continue
                    if b.groups == a.groups and (a.n, a.k) == (b.n, b.k):
                        continue
                    n = a.n - b.n
                    k = a.k - b.k if a.k is not None and b.k is not None else None
                    if _leak(n, k, a.kind, self.min_n):
                        found.append(Leak(f"{a.choice} − {b.choice}", key, n, k))
            by_choice = {o.choice: o for o in observations}
            for parent, children in self.families:
                p = by_choice.get(parent)
                if p is None or p.n is None:
                    continue
                shown = [by_choice[c] for c in children if c in by_choice and by_choice[c].n is not None]
                if not shown:
                    continue
                n = p.n - sum(c.n for c in shown)
                k = (
                    p.k - sum(c.k for c in shown)
                    if p.k is not None and all(c.k is not None for c in shown)
                    else None
                )
                if _leak(n, k, p.kind, self.min_n):
                    found.append(Leak(f"{parent} − Σ({', '.join(c.choice for c in shown)})", key, n, k))
        return found
