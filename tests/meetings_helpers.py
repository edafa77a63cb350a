"""A small, hand-made store for the meetings tests: every count in the tests can be worked out from here.

Clock: 2026-11-15 (a Sunday, ISO week 2026-W46), see conftest.

Municipalities Almere and Den Haag; community builders Anna (groups T-001, T-003, T-005) and Bram
(T-002, T-004, T-006, T-007).

| group | town | status | matches (start – end) | household | members |
|---|---|---|---|---|---|
| T-001 | Den Haag | actief | 2025-12-29 – (running) | 3 | 4 (+1 archived) |
| T-002 | Almere | gestopt | 2020-06-01 – 2021-01-03 (gestopt) | 2 | 3 |
| T-003 | Almere | actief | 2026-10-01 – (running) | 1 | 3 |
| T-004 | Den Haag | actief | 2026-09-01 – (running) | 2 | 5 |
| T-005 | Den Haag | actief | 2024-01-10 – 2025-01-09 (afgerond), 2026-06-01 – (running) | 2 / 4 | 3 |
| T-006 | Almere | werving | none | – | 2 |
| T-007 | Almere | afgerond | 2023-01-31 – 2024-01-30 | 1 | 3 |

T-004 is guided by Bram and has no meetings; T-003 (Anna) has none either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from samenhier.models import (
    CommunityBuilder,
    Match,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    WelcomeGroup,
)
from samenhier.scope import Scope

D = dt.date.fromisoformat

MEETINGS: dict[str, list[tuple[str, str]]] = {
    "T-001": [
        ("2025-12-29", "groepsactiviteit"),  # the match's first day
        ("2025-12-31", "één-op-één"),
        ("2026-01-04", "groepsactiviteit"),
        ("2026-01-05", "online"),
        ("2026-09-15", "groepsactiviteit"),
        ("2026-10-20", "bezoek community builder"),
        ("2026-10-25", "groepsactiviteit"),
        ("2026-10-25", "één-op-één"),
        ("2026-11-01", "groepsactiviteit"),
        ("2026-11-10", "groepsactiviteit"),
    ],
    "T-002": [
        ("2020-12-31", "groepsactiviteit"),
        ("2021-01-03", "online"),
        ("2021-01-04", "groepsactiviteit"),  # after the match ended (2021-01-03)
    ],
    "T-005": [
        ("2024-06-01", "groepsactiviteit"),  # during the first, completed match
        ("2026-06-01", "groepsactiviteit"),  # the second match's first day
        ("2026-10-23", "één-op-één"),
    ],
    "T-007": [
        ("2023-01-31", "groepsactiviteit"),
        ("2023-02-27", "groepsactiviteit"),
        ("2023-02-28", "groepsactiviteit"),
        ("2023-03-30", "groepsactiviteit"),
        ("2023-03-31", "groepsactiviteit"),
        ("2024-01-30", "groepsactiviteit"),
        ("2024-01-31", "groepsactiviteit"),  # after the match ended
    ],
}


@dataclass(frozen=True)
class Store:
    """Ids of the hand-made store."""

    groups: dict[str, int]
    anna: Scope
    bram: Scope
    coordinator: Scope


def build_store(engine) -> Store:
    """Fill the (empty, migrated) store behind ``engine`` with the records in this module's docstring."""
    with Session(engine, expire_on_commit=False) as s:
        almere = Municipality(name="Almere", cbs_code="GM0034")
        den_haag = Municipality(name="Den Haag", cbs_code="GM0518")
        s.add_all([almere, den_haag])
        s.flush()
        anna = CommunityBuilder(name="Anna", municipality_id=den_haag.id)
        bram = CommunityBuilder(name="Bram", municipality_id=almere.id)
        s.add_all([anna, bram])
        s.flush()
        spec = [
            ("T-001", den_haag, "actief", anna, 4),
            ("T-002", almere, "gestopt", bram, 3),
            ("T-003", almere, "actief", anna, 3),
            ("T-004", den_haag, "actief", bram, 5),
            ("T-005", den_haag, "actief", anna, 3),
            ("T-006", almere, "werving", bram, 2),
            ("T-007", almere, "afgerond", bram, 3),
        ]
        groups = {}
        for code, town, status, builder, members in spec:
            group = WelcomeGroup(
                code=code,
                name=f"Groep {code}",
                municipality_id=town.id,
                variant="statushouders",
                status=status,
                community_builder_id=builder.id,
                signup_date=D("2019-01-01"),
            )
            s.add(group)
            s.flush()
            groups[code] = group.id
            for n in range(members):
                s.add(
                    Member(
                        code=f"{code}-L{n}",
                        group_id=group.id,
                        first_name="Lid",
                        last_name=str(n),
                        joined_date=D("2019-02-01"),
                    )
                )
        s.add(
            Member(
                code="T-001-archived",
                group_id=groups["T-001"],
                first_name="Oud",
                last_name="Lid",
                joined_date=D("2019-02-01"),
                archived=True,
            )
        )
        matches = [
            ("T-001", 3, "2025-12-01", "2025-12-29", None, "actief"),
            ("T-002", 2, "2020-05-01", "2020-06-01", "2021-01-03", "gestopt"),
            ("T-003", 1, "2026-09-15", "2026-10-01", None, "actief"),
            ("T-004", 2, "2026-08-15", "2026-09-01", None, "actief"),
            ("T-005", 2, "2024-01-01", "2024-01-10", "2025-01-09", "afgerond"),
            ("T-005", 4, "2026-05-01", "2026-06-01", None, "actief"),
            ("T-007", 1, "2023-01-15", "2023-01-31", "2024-01-30", "afgerond"),
        ]
        for n, (code, household, proposed, started, ended, status) in enumerate(matches):
            newcomer = Newcomer(
                code=f"N{n}",
                first_name="Nieuw",
                last_name=str(n),
                municipality_id=almere.id,
                household_size=household,
                arrival_date=D("2019-01-01"),
                registration_date=D("2019-06-01"),
                status="gematcht",
            )
            s.add(newcomer)
            s.flush()
            s.add(
                Match(
                    group_id=groups[code],
                    newcomer_id=newcomer.id,
                    proposed_date=D(proposed),
                    started_date=D(started),
                    ended_date=D(ended) if ended else None,
                    status=status,
                )
            )
        for code, meetings in MEETINGS.items():
            for day, kind in meetings:
                s.add(
                    Meeting(
                        group_id=groups[code],
                        date=D(day),
                        kind=kind,
                        duration_minutes=90,
                        members_present=2,
                        newcomers_present=1,
                    )
                )
        s.commit()
        return Store(
            groups=groups,
            anna=Scope.community_builder("anna", anna.id),
            bram=Scope.community_builder("bram", bram.id),
            coordinator=Scope.coordinator("coco"),
        )
