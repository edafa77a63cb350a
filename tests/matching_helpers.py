"""Small hand-made stores for the matching tests: every date and count is chosen so the expected
figures can be worked out by hand (the as-of date is conftest's 2026-11-15)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from samenhier.models import (
    AuditEvent,
    CommunityBuilder,
    GroupStatus,
    Match,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    WelcomeGroup,
)
from samenhier.queries.common import count_rows

AS_OF = dt.date(2026, 11, 15)
D = dt.date
DEFAULT_SIGNUP = D(2026, 1, 1)
DEFAULT_TRAINING = D(2026, 2, 1)


class Store:
    """Builds records one call at a time and remembers their ids by code (or name)."""

    def __init__(self, engine):
        self.engine = engine
        self.ids: dict[str, int] = {}
        self._members = 0

    def _add(self, record, key: str) -> int:
        with Session(self.engine) as session:
            session.add(record)
            session.commit()
            session.refresh(record)
            self.ids[key] = record.id
            return record.id

    def municipality(self, name: str, cbs_code: str) -> int:
        return self._add(Municipality(name=name, cbs_code=cbs_code), name)

    def builder(self, name: str, municipality: str, languages: str) -> int:
        return self._add(
            CommunityBuilder(name=name, municipality_id=self.ids[municipality], languages=languages), name
        )

    def group(
        self,
        code: str,
        municipality: str,
        builder: str | None,
        *,
        status: str = GroupStatus.AWAITING_MATCH.value,
        signup: dt.date = DEFAULT_SIGNUP,
        training: dt.date | None = DEFAULT_TRAINING,
        members: int = 4,
        variant: str = "statushouders",
    ) -> int:
        group_id = self._add(
            WelcomeGroup(
                code=code,
                name=f"Groep {code}",
                municipality_id=self.ids[municipality],
                variant=variant,
                status=status,
                community_builder_id=self.ids[builder] if builder else None,
                signup_date=signup,
                training_completed_date=training,
            ),
            code,
        )
        with Session(self.engine) as session:
            for _ in range(members):
                self._members += 1
                session.add(
                    Member(
                        code=f"L{self._members:04d}",
                        group_id=group_id,
                        first_name="Lid",
                        last_name=str(self._members),
                        joined_date=signup,
                    )
                )
            session.commit()
        return group_id

    def newcomer(
        self,
        code: str,
        municipality: str,
        *,
        arrival: dt.date,
        registered: dt.date,
        status: str = NewcomerStatus.WAITING.value,
        languages: str = "Arabisch",
        household: int = 1,
        first_name: str = "Nieuw",
        last_name: str | None = None,
    ) -> int:
        return self._add(
            Newcomer(
                code=code,
                first_name=first_name,
                last_name=last_name or code,
                municipality_id=self.ids[municipality],
                languages=languages,
                household_size=household,
                arrival_date=arrival,
                registration_date=registered,
                status=status,
            ),
            code,
        )

    def match(
        self,
        key: str,
        group: str,
        newcomer: str,
        *,
        status: str,
        proposed: dt.date,
        started: dt.date | None = None,
        ended: dt.date | None = None,
        reason: str = "",
    ) -> int:
        return self._add(
            Match(
                group_id=self.ids[group],
                newcomer_id=self.ids[newcomer],
                status=status,
                proposed_date=proposed,
                started_date=started,
                ended_date=ended,
                end_reason=reason,
            ),
            key,
        )

    def get(self, model, key: str):
        with Session(self.engine) as session:
            return session.get(model, self.ids[key])

    def matches_of(self, newcomer: str) -> list[Match]:
        with Session(self.engine) as session:
            return list(
                session.exec(select(Match).where(Match.newcomer_id == self.ids[newcomer]).order_by(Match.id))
            )

    def counts(self) -> tuple[int, int, int, int]:
        """(matches, audit events, sum of match versions, sum of newcomer+group versions): unchanged means nothing written."""
        with Session(self.engine) as session:
            match_versions = sum(m.version for m in session.exec(select(Match)))
            other = sum(n.version for n in session.exec(select(Newcomer))) + sum(
                g.version for g in session.exec(select(WelcomeGroup))
            )
        return count_rows(self.engine, Match), count_rows(self.engine, AuditEvent), match_versions, other


def two_city_store(engine) -> Store:
    """Haarlem (builder Anna: Nederlands, Arabisch, Engels) and Almere (builder Bram: Nederlands, Dari).

    Groups: H1 Haarlem waiting since training 2026-03-01, 4 members (Anna); H2 Haarlem waiting since
    2026-09-15, 2 members (Anna); A1 Almere waiting since 2026-10-01, 3 members (Bram).
    Newcomers (waiting): NH1 Haarlem, Arabisch, household 3, arrived 2024-02-29, registered 2026-05-01;
    NH2 Haarlem, Tigrinya, household 1, arrived 2025-01-10, registered 2026-10-16; NA1 Almere, Dari,
    household 2, arrived 2024-06-01, registered 2026-08-17.
    """
    store = Store(engine)
    store.municipality("Haarlem", "GM0392")
    store.municipality("Almere", "GM0034")
    store.builder("Anna", "Haarlem", "Nederlands, Arabisch, Engels")
    store.builder("Bram", "Almere", "Nederlands, Dari")
    store.group("H1", "Haarlem", "Anna", training=D(2026, 3, 1), members=4)
    store.group("H2", "Haarlem", "Anna", signup=D(2026, 6, 1), training=D(2026, 9, 15), members=2)
    store.group("A1", "Almere", "Bram", signup=D(2026, 6, 1), training=D(2026, 10, 1), members=3)
    store.newcomer(
        "NH1", "Haarlem", arrival=D(2024, 2, 29), registered=D(2026, 5, 1), languages="Arabisch", household=3
    )
    store.newcomer(
        "NH2",
        "Haarlem",
        arrival=D(2025, 1, 10),
        registered=D(2026, 10, 16),
        languages="Tigrinya",
        household=1,
    )
    store.newcomer(
        "NA1", "Almere", arrival=D(2024, 6, 1), registered=D(2026, 8, 17), languages="Dari", household=2
    )
    return store
