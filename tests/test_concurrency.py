"""Many writers at once on the SQLite file: 8 threads × 50 writes through the services.

No write may be lost and no "database is locked" may reach the user: write transactions begin
IMMEDIATE (samenhier.db), so writers queue for the lock within the busy timeout instead of failing.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlmodel import Session, select

from samenhier.models import AuditEvent, Member, ProgressNote
from samenhier.queries.common import count_rows
from samenhier.scope import Scope
from samenhier.services import progress, records

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

THREADS, WRITES = 8, 50


def test_eight_threads_fifty_writes_each(engine):
    anna = Scope.coordinator("anna")
    group = records.create_group(
        engine,
        anna,
        values=dict(
            code="",
            name="Druk",
            municipality="Almere",
            variant="statushouders",
            status="werving",
            community_builder_id=None,
            signup_date=dt.date(2026, 1, 5),
            training_completed_date=None,
            notes="",
        ),
    )
    audit_before = count_rows(engine, AuditEvent)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(t: int) -> None:
        scope = Scope.coordinator(f"user{t}")
        start.wait()
        member = None
        for i in range(WRITES):
            try:
                if i % 3 == 0:  # create a member (a read for the next code, then an insert)
                    member = records.create_member(
                        engine,
                        scope,
                        values=dict(
                            code="",
                            group_id=group.id,
                            first_name=f"T{t}",
                            last_name=f"n{i}",
                            email=None,
                            phone=None,
                            role="lid",
                            joined_date=dt.date(2026, 2, 1),
                            vog_date=None,
                        ),
                    )
                elif i % 3 == 1:  # update it (version check, then write)
                    records.update_member(
                        engine,
                        scope,
                        member_id=member.id,
                        expected_version=1,
                        changes={"last_name": f"n{i}-updated"},
                    )
                else:  # a check-in on the shared group
                    progress.add_check_in(
                        engine,
                        scope,
                        group_id=group.id,
                        date=dt.date(2026, 11, 1),
                        assessment="goed",
                        text=f"{t}/{i}",
                    )
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    creates = len(range(0, WRITES, 3))  # 17 per thread
    updates = len(range(1, WRITES, 3))  # 17
    check_ins = len(range(2, WRITES, 3))  # 16
    assert creates + updates + check_ins == WRITES
    with Session(engine) as session:
        members = list(session.exec(select(Member)))
        notes = {n.text for n in session.exec(select(ProgressNote))}
    assert len(members) == THREADS * creates
    assert len({m.code for m in members}) == THREADS * creates  # generated codes never collide
    assert all(m.last_name.endswith("-updated") and m.version == 2 for m in members)
    assert notes == {f"{t}/{i}" for t in range(THREADS) for i in range(2, WRITES, 3)}
    assert count_rows(engine, AuditEvent) - audit_before == THREADS * WRITES
