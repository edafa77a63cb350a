"""Reminders by e-mail (issue 17): ``notify`` against a real SMTP server on 127.0.0.1 (aiosmtpd), not a mock.

Who gets what, nothing twice, a retry after a failed send, the dry run, the audit trail, the language
and links of the mail, and that no message carries a newcomer's name or anyone's contact details. The
expected to-dos are worked out from the sample workbook with plain pandas.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import socket
from dataclasses import dataclass, field

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from cli_helpers import cli_env, run_cli
from dateutil.relativedelta import relativedelta
from sqlalchemy import text
from sqlmodel import Session, select

from samenhier.models import AuditEvent, CommunityBuilder, DigestDelivery, UserAccount
from samenhier.notify import MailNotConfigured, iso_week, run_notify
from samenhier.queries.records import account_settings
from samenhier.scope import AccessDenied, Scope
from samenhier.services import matches, progress, records
from samenhier.services.common import ValidationFailed
from samenhier.services.users import create_user
from samenhier.settings import get_settings

AS_OF = dt.date(2026, 12, 20)  # the issue's date: a Sunday in ISO week 2026-W51
PASSWORD = "een-lang-wachtwoord"
SAMIRA = "Samira Benali"


# --------------------------------------------------------------------------- a real SMTP server


@dataclass
class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message) per mail; ``refuse`` holds
    addresses the server answers ``550`` for at RCPT TO (a failed send)."""

    messages: list[tuple[list[str], email.message.EmailMessage]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook name)
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]


@pytest.fixture(autouse=True)
def _today_is_the_issues_date(monkeypatch):
    monkeypatch.setenv("SAMENHIER_TODAY", AS_OF.isoformat())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    """An SMTP server on 127.0.0.1 (no TLS, so STARTTLS off), and the settings pointing at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setenv("SAMENHIER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SAMENHIER_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("SAMENHIER_SMTP_STARTTLS", "false")
    monkeypatch.setenv("SAMENHIER_MAIL_FROM", "dashboard@samenhier.example")
    monkeypatch.setenv("SAMENHIER_APP_URL", "https://dashboard.samenhier.example/")
    get_settings.cache_clear()
    inbox.port = controller.port
    yield inbox
    controller.stop()
    get_settings.cache_clear()


def body(message: email.message.EmailMessage, kind: str = "plain") -> str:
    return message.get_body(preferencelist=(kind,)).get_content()


def everything(message: email.message.EmailMessage) -> str:
    """Headers and every part of a message, as one text."""
    return str(message.get("Subject")) + "\n" + body(message, "plain") + "\n" + body(message, "html")


# --------------------------------------------------------------------------- the workbook, read independently


@pytest.fixture(scope="module")
def sheets(workbook_path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(workbook_path, sheet_name=None)


def builder_email(sheets, name: str) -> str:
    builders = sheets["community_builders"]
    return builders.loc[builders["naam"] == name, "e-mail"].iloc[0].strip()


def quiet_days(sheets, code: str, as_of: dt.date) -> int:
    meetings = sheets["bijeenkomsten"]
    dates = pd.to_datetime(meetings.loc[meetings["groep_code"].str.strip() == code, "datum"]).dt.date
    return (as_of - max(d for d in dates if d <= as_of)).days


def builder_account(engine, name: str, **kwargs) -> Scope:
    return create_user(
        engine, name.split()[0].lower(), PASSWORD, "community_builder", community_builder=name, **kwargs
    )


def deliveries(engine) -> list[tuple]:
    with engine.connect() as c:
        return c.execute(
            text(
                "SELECT u.username, d.iso_week, d.status, d.attempts FROM digest_delivery d "
                "JOIN user_account u ON u.id = d.user_id ORDER BY u.username, d.iso_week"
            )
        ).all()


# --------------------------------------------------------------------------- the issue's example


@pytest.mark.both_backends
def test_samira_gets_one_digest_at_her_workbook_address_naming_her_quiet_group_only(
    imported_engine, sheets, smtp
):
    builder_account(imported_engine, SAMIRA)  # no --email: the builder's address from the workbook
    builder_account(imported_engine, "Tekle Mehari")
    result = run_notify(imported_engine, as_of=AS_OF)

    address = builder_email(sheets, SAMIRA)
    assert address == "samira.benali0@voorbeeld.nl"
    mails = smtp.to(address)
    assert len(mails) == 1
    text_part = body(mails[0])
    assert quiet_days(sheets, "0518-019", AS_OF) == 44  # worked out from the bijeenkomsten sheet
    assert "0518-019" in text_part and "44 dagen" in text_part
    assert "https://dashboard.samenhier.example/groep?group=0518-019" in text_part
    groups = sheets["groepen"]
    others = set(groups.loc[groups["community_builder"] != SAMIRA, "groep_code"].str.strip())
    assert [code for code in others if code in everything(mails[0])] == []
    assert {o.username: o.status for o in result.outcomes} == {"samira": "sent", "tekle": "sent"}
    assert len(smtp.messages) == 2


def test_the_command_line_sends_once_and_a_second_run_sends_nothing(imported_engine, sheets, smtp):
    builder_account(imported_engine, SAMIRA)
    env = cli_env(imported_engine.url.database)
    env.update(
        {
            k: v
            for k, v in os.environ.items()
            if k.startswith(("SAMENHIER_SMTP", "SAMENHIER_MAIL", "SAMENHIER_APP"))
        }
    )
    first = run_cli("notify", "--as-of", AS_OF.isoformat(), env=env)
    assert first.returncode == 0, first.stderr
    assert "samira" in first.stdout and "verstuurd" in first.stdout
    second = run_cli(
        "notify", "--as-of", (AS_OF + dt.timedelta(days=1)).isoformat(), env=env
    )  # Monday: week 52
    assert second.returncode == 0
    third = run_cli("notify", "--as-of", AS_OF.isoformat(), env=env)  # week 51 again
    assert third.returncode == 0
    assert "deze week al verstuurd" in third.stdout
    assert [rcpts for rcpts, _ in smtp.messages] == [
        [builder_email(sheets, SAMIRA)]
    ] * 2  # W51 and W52, not W51 twice
    assert deliveries(imported_engine) == [
        ("samira", "2026-W51", "sent", 1),
        ("samira", "2026-W52", "sent", 1),
    ]


# --------------------------------------------------------------------------- who gets what


def test_coordinator_gets_the_programme_reminders(imported_engine, sheets, smtp):
    create_user(imported_engine, "anna", PASSWORD, "coordinator", email="anna@samenhier.example")
    # Two proposals, unanswered for 15 and for 14 days, and a serious concern on 0518-019.
    anna = Scope.coordinator("anna")
    with imported_engine.connect() as c:
        group_id = c.execute(text("SELECT id FROM welcome_group WHERE code = '0518-019'")).scalar_one()
        waiting_groups = c.execute(
            text(
                "SELECT g.id, g.code, g.municipality_id FROM welcome_group g "
                "WHERE g.status = 'wacht op match' ORDER BY g.code"
            )
        ).all()
        proposals = []
        for group in waiting_groups:
            newcomer = c.execute(
                text(
                    "SELECT id, code FROM newcomer WHERE status = 'wacht' AND municipality_id = :m "
                    "ORDER BY code"
                ),
                {"m": group.municipality_id},
            ).first()
            if newcomer is not None and newcomer.code not in {p[2] for p in proposals}:
                proposals.append((group.id, group.code, newcomer.code, newcomer.id))
    (old_group, old_code, old_newcomer, old_id), (new_group, new_code, _, new_id) = proposals[:2]
    matches.propose_match(
        imported_engine,
        anna,
        newcomer_id=old_id,
        group_id=old_group,
        proposed_date=AS_OF - dt.timedelta(days=15),
        confirm_past_eligibility=True,
    )
    matches.propose_match(
        imported_engine,
        anna,
        newcomer_id=new_id,
        group_id=new_group,
        proposed_date=AS_OF - dt.timedelta(days=14),
        confirm_past_eligibility=True,
    )
    progress.add_check_in(
        imported_engine,
        anna,
        group_id=group_id,
        date=dt.date(2026, 11, 15),
        assessment="ernstige zorgen",
        text="zorgen",
    )
    run_notify(imported_engine, as_of=AS_OF)
    [mail] = smtp.to("anna@samenhier.example")
    text_part = body(mail)
    assert "Voorstellen zonder antwoord na 14 dagen (1)" in text_part
    assert (
        f"{old_code} · " in text_part
        and f"voorstel met nieuwkomer {old_newcomer} van 5 december 2026, 15 dagen geleden" in text_part
    )
    assert f"{new_code} · " not in text_part

    # Newcomers waiting with fewer than 90 days of eligibility left (three years after arrival), by code.
    newcomers = sheets["nieuwkomers"]
    waiting = newcomers[newcomers["status"].str.strip().str.lower() == "wacht"]
    left = {
        row.nieuwkomer_code: (row.in_nederland_sinds.date() + relativedelta(years=3) - AS_OF).days
        for row in waiting.itertuples()
    }
    urgent = sorted(code for code, days in left.items() if 0 <= days < 90)
    assert urgent  # the workbook has some
    for code in urgent:
        assert f"{code} (" in text_part
    for code in set(left) - set(urgent):
        assert code not in text_part
    # Quiet active groups: the same 0518-019, and every active group quiet for more than 21 days.
    assert "0518-019 · " in text_part and "geen bijeenkomst in 44 dagen" in text_part
    assert "Check-ins met ernstige zorgen (1)" in text_part
    assert "zorgen bij de check-in van 15 november 2026" in text_part
    # End surveys overdue: running matches past their 12 months whose newcomer has no eindmeting.
    koppelingen, enquetes = sheets["koppelingen"], sheets["enquetes"]
    ended = set(enquetes.loc[enquetes["meting"].str.strip().str.lower() == "eindmeting", "respondent_code"])
    running = koppelingen[koppelingen["status"].str.strip() == "actief"]
    overdue = sorted(
        r.groep_code
        for r in running.itertuples()
        if r.gestart_op.date() + relativedelta(months=12) <= AS_OF and r.nieuwkomer_code not in ended
    )
    section = text_part.split("Eindmetingen over tijd")[1]
    assert section.startswith(f" ({len(overdue)})") and overdue
    assert sorted(line[2:10] for line in section.splitlines() if line.startswith("- ")) == overdue


def test_builder_digest_lists_every_open_todo_of_their_groups_with_a_link(imported_engine, smtp):
    scope = builder_account(imported_engine, SAMIRA)
    with imported_engine.connect() as c:
        group_id = c.execute(text("SELECT id FROM welcome_group WHERE code = '0518-019'")).scalar_one()
    progress.add_check_in(
        imported_engine,
        scope,
        group_id=group_id,
        date=dt.date(2026, 12, 1),
        assessment="enkele zorgen",
        text="te weinig tijd",
    )
    run_notify(imported_engine, as_of=AS_OF)
    [mail] = smtp.messages
    text_part = body(mail[1])
    assert "Geen bijeenkomst in 44 dagen." in text_part
    assert "De laatste check-in meldt enkele zorgen" in text_part
    assert text_part.count("Open de groep: https://dashboard.samenhier.example/groep?group=") == 1


def test_nothing_to_do_means_no_mail_and_opted_out_or_inactive_accounts_get_none(imported_engine, smtp):
    builder_account(imported_engine, SAMIRA)
    create_user(imported_engine, "anna", PASSWORD, "coordinator", email="anna@samenhier.example")
    create_user(imported_engine, "bram", PASSWORD, "coordinator", email="bram@samenhier.example")
    with Session(imported_engine) as s:
        anna = s.exec(select(UserAccount).where(UserAccount.username == "anna")).one()
        bram = s.exec(select(UserAccount).where(UserAccount.username == "bram")).one()
        anna_id, anna_version, bram_id, bram_version = anna.id, anna.version, bram.id, bram.version
    records.update_account_settings(
        imported_engine,
        Scope.coordinator("anna"),
        user_id=anna_id,
        expected_version=anna_version,
        changes={"weekly_digest": False},
    )
    records.update_user_account(
        imported_engine,
        Scope.coordinator("anna"),
        user_id=bram_id,
        expected_version=bram_version,
        changes={"active": False},
    )
    result = run_notify(imported_engine, as_of=AS_OF)
    assert [o.username for o in result.outcomes] == ["samira"]
    assert smtp.to("anna@samenhier.example") == [] and smtp.to("bram@samenhier.example") == []


def test_a_builder_without_todos_gets_no_mail(engine, smtp):
    with Session(engine) as s:
        s.add(CommunityBuilder(name="Lege Builder", email="leeg@samenhier.example"))
        s.commit()
    builder_account(engine, "Lege Builder")
    result = run_notify(engine, as_of=AS_OF)
    assert [(o.username, o.status) for o in result.outcomes] == [("lege", "nothing_to_do")]
    assert smtp.messages == []
    assert deliveries(engine) == []


# --------------------------------------------------------------------------- reliability


@pytest.mark.both_backends
def test_a_failed_send_is_reported_kept_and_retried_by_the_next_run(imported_engine, sheets, smtp):
    builder_account(imported_engine, SAMIRA)
    builder_account(imported_engine, "Tekle Mehari")
    samira = builder_email(sheets, SAMIRA)
    smtp.refuse.add(samira)

    first = run_notify(imported_engine, as_of=AS_OF)
    assert [(o.username, o.error) for o in first.failed] == [("samira", "SMTP 550 (recipient refused)")]
    assert [rcpts for rcpts, _ in smtp.messages] == [
        [builder_email(sheets, "Tekle Mehari")]
    ]  # the others still go out
    assert deliveries(imported_engine) == [
        ("samira", "2026-W51", "failed", 1),
        ("tekle", "2026-W51", "sent", 1),
    ]

    smtp.refuse.clear()
    second = run_notify(imported_engine, as_of=AS_OF)
    assert {o.username: o.status for o in second.outcomes} == {"samira": "sent", "tekle": "already_sent"}
    assert deliveries(imported_engine) == [
        ("samira", "2026-W51", "sent", 2),
        ("tekle", "2026-W51", "sent", 1),
    ]
    assert len(smtp.to(samira)) == 1

    third = run_notify(imported_engine, as_of=AS_OF)
    assert third.count("sent") == 0 and len(smtp.messages) == 2


def test_an_unreachable_server_fails_every_send_and_the_command_exits_non_zero(imported_engine, monkeypatch):
    builder_account(imported_engine, SAMIRA)
    monkeypatch.setenv("SAMENHIER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SAMENHIER_SMTP_PORT", str(_free_port()))  # nobody listens there
    get_settings.cache_clear()
    result = run_notify(imported_engine, as_of=AS_OF)
    assert [(o.username, o.error) for o in result.failed] == [("samira", "ConnectionRefusedError")]

    env = cli_env(imported_engine.url.database)
    env.update(SAMENHIER_SMTP_HOST="127.0.0.1", SAMENHIER_SMTP_PORT=str(_free_port()))
    run = run_cli("notify", "--as-of", AS_OF.isoformat(), env=env)
    assert run.returncode == 1
    assert "1 e-mail niet verstuurd" in run.stderr
    assert deliveries(imported_engine) == [("samira", "2026-W51", "failed", 2)]


def test_starttls_is_required_by_default_and_never_falls_back_to_plain_text(
    imported_engine, smtp, monkeypatch
):
    builder_account(imported_engine, SAMIRA)
    monkeypatch.delenv("SAMENHIER_SMTP_STARTTLS")  # default: true; the test server offers no STARTTLS
    get_settings.cache_clear()
    result = run_notify(imported_engine, as_of=AS_OF)
    assert [o.error for o in result.failed] == ["SMTPNotSupportedError"]
    assert smtp.messages == []


def test_without_a_host_notify_says_so_and_exits_1(imported_engine):
    builder_account(imported_engine, SAMIRA)
    with pytest.raises(MailNotConfigured):
        run_notify(imported_engine, as_of=AS_OF)
    run = run_cli("notify", env=cli_env(imported_engine.url.database))
    assert run.returncode == 1
    assert "SAMENHIER_SMTP_HOST" in run.stderr
    assert deliveries(imported_engine) == []


def test_dry_run_prints_what_and_to_whom_and_sends_and_stores_nothing(
    imported_engine, sheets, smtp, dump_tables
):
    builder_account(imported_engine, SAMIRA)
    before = dump_tables(imported_engine)
    env = cli_env(imported_engine.url.database)
    env.update(
        SAMENHIER_SMTP_HOST="127.0.0.1", SAMENHIER_SMTP_PORT=str(smtp.port), SAMENHIER_SMTP_STARTTLS="false"
    )
    run = run_cli("notify", "--as-of", AS_OF.isoformat(), "--dry-run", env=env)
    assert run.returncode == 0, run.stderr
    assert builder_email(sheets, SAMIRA) in run.stdout
    assert (
        "zou versturen" in run.stdout
        and "0518-019" in run.stdout
        and "Geen bijeenkomst in 44 dagen." in run.stdout
    )
    assert smtp.messages == []
    assert dump_tables(imported_engine) == before


def test_every_send_is_audited_with_the_account_not_the_content(imported_engine, sheets, smtp):
    builder_account(imported_engine, SAMIRA)
    smtp.refuse.add(builder_email(sheets, SAMIRA))
    run_notify(imported_engine, as_of=AS_OF)
    smtp.refuse.clear()
    run_notify(imported_engine, as_of=AS_OF)
    with Session(imported_engine) as s:
        events = s.exec(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["digest_sent", "digest_failed"]))
            .order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.table_name, e.record_code) for e in events] == [
        ("digest_failed", "user_account", "samira"),
        ("digest_sent", "user_account", "samira"),
    ]
    for event in events:
        assert "0518-019" not in event.changes and "@" not in event.changes and "week" in event.changes


# --------------------------------------------------------------------------- format and privacy


def test_text_and_html_parts_in_the_accounts_language_with_links_to_the_group(imported_engine, smtp):
    scope = builder_account(imported_engine, SAMIRA, email="samira@samenhier.example")
    settings = account_settings(imported_engine, scope)
    records.update_account_settings(
        imported_engine,
        scope,
        user_id=settings["user_id"],
        expected_version=settings["version"],
        changes={"language": "en"},
    )
    run_notify(imported_engine, as_of=AS_OF)
    [mail] = smtp.to("samira@samenhier.example")
    assert mail["Subject"] == "Samen Hier: your to-dos for week 51"
    assert mail["From"] == "dashboard@samenhier.example"
    assert mail.get_content_type() == "multipart/alternative"
    assert "No meeting in 44 days." in body(mail, "plain")
    html_part = body(mail, "html")
    assert '<a href="https://dashboard.samenhier.example/groep?group=0518-019">0518-019 · ' in html_part
    assert "No meeting in 44 days." in html_part


def test_no_message_carries_a_newcomers_name_contact_details_or_survey_answers(imported_engine, sheets, smtp):
    """Every account of every builder and a coordinator, on a date with many to-dos; check-in texts
    naming newcomers. No newcomer name, no e-mail address or phone number of anyone, no member's last
    name, and no check-in text reaches a message."""
    newcomers, members = sheets["nieuwkomers"], sheets["leden"]
    create_user(imported_engine, "anna", PASSWORD, "coordinator", email="anna@samenhier.example")
    for name in sheets["community_builders"]["naam"]:
        builder_account(imported_engine, name)
    with imported_engine.connect() as c:
        active = (
            c.execute(text("SELECT id FROM welcome_group WHERE status = 'actief' ORDER BY code"))
            .scalars()
            .all()
        )
    first = newcomers.iloc[0]
    for group_id in active:
        progress.add_check_in(
            imported_engine,
            Scope.coordinator("anna"),
            group_id=group_id,
            date=dt.date(2026, 12, 1),
            assessment="ernstige zorgen",
            text=f"Gesprek met {first.voornaam} {first.achternaam} over thuis",
        )
    for as_of in (AS_OF, dt.date(2027, 2, 1)):
        run_notify(imported_engine, as_of=as_of)
    addresses = {"anna@samenhier.example"} | {
        builder_email(sheets, name) for name in sheets["community_builders"]["naam"]
    }
    assert {rcpts[0] for rcpts, _ in smtp.messages} == addresses  # everyone had something to do
    assert len(smtp.messages) == 2 * len(addresses)
    forbidden = (
        {f"{r.voornaam} {r.achternaam}" for r in newcomers.itertuples()}
        | set(newcomers["achternaam"])
        | set(newcomers["e-mail"].dropna())
        | set(newcomers["telefoon"].dropna().astype(str))
        | set(members["achternaam"])
        | set(members["e-mail"].dropna())
        | set(members["telefoon"].dropna().astype(str))
        | {"Gesprek met", "min of meer"}
    )
    forbidden = {str(v).strip() for v in forbidden if str(v).strip()}
    leaks = {}
    for rcpts, message in smtp.messages:
        shown = everything(message)
        found = sorted(v for v in forbidden if v in shown)
        if found:
            leaks[rcpts[0]] = found[:5]
    assert leaks == {}


def test_iso_weeks_follow_the_iso_calendar():
    assert iso_week(dt.date(2026, 12, 20)) == "2026-W51"
    assert iso_week(dt.date(2026, 12, 21)) == "2026-W52"
    assert iso_week(dt.date(2027, 1, 3)) == "2026-W53"  # 2026 has 53 ISO weeks (it starts on a Thursday)
    assert iso_week(dt.date(2027, 1, 4)) == "2027-W01"


# --------------------------------------------------------------------------- accounts: address and choice


def test_builder_account_takes_the_builders_address_and_may_change_only_its_own_settings(
    imported_engine, sheets
):
    samira = builder_account(imported_engine, SAMIRA)
    tekle = builder_account(imported_engine, "Tekle Mehari", email="tekle@samenhier.example")
    own = account_settings(imported_engine, samira)
    assert (
        own["email"] == builder_email(sheets, SAMIRA)
        and own["weekly_digest"] is True
        and own["language"] == "nl"
    )
    assert account_settings(imported_engine, tekle)["email"] == "tekle@samenhier.example"

    records.update_account_settings(
        imported_engine,
        samira,
        user_id=own["user_id"],
        expected_version=own["version"],
        changes={"weekly_digest": False, "email": "samira@samenhier.example"},
    )
    assert account_settings(imported_engine, samira)["weekly_digest"] is False
    other = account_settings(imported_engine, tekle)
    with pytest.raises(AccessDenied):
        records.update_account_settings(
            imported_engine,
            samira,
            user_id=other["user_id"],
            expected_version=other["version"],
            changes={"weekly_digest": False},
        )
    with pytest.raises(ValidationFailed) as refused:
        records.update_account_settings(
            imported_engine,
            tekle,
            user_id=other["user_id"],
            expected_version=other["version"],
            changes={"email": "geen adres"},
        )
    assert [e.code for e in refused.value.errors] == ["email"]
    with pytest.raises(TypeError):  # role and activity stay the coordinator's (Beheer)
        records.update_account_settings(
            imported_engine,
            tekle,
            user_id=other["user_id"],
            expected_version=other["version"],
            changes={"role": "coordinator"},
        )


def test_beheer_creates_accounts_with_address_and_digest_choice(imported_engine, sheets):
    anna = Scope.coordinator("anna")
    with Session(imported_engine) as s:
        builder_id = s.exec(select(CommunityBuilder.id).where(CommunityBuilder.name == SAMIRA)).one()
    saved = records.create_user_account(
        imported_engine,
        anna,
        values=dict(
            username="samira",
            password=PASSWORD,
            role="community_builder",
            community_builder_id=builder_id,
            active=True,
        ),
    )
    values = records.form_values(
        Session(imported_engine), Session(imported_engine).get(UserAccount, saved.id)
    )
    assert (values["email"], values["weekly_digest"], values["language"]) == (
        builder_email(sheets, SAMIRA),
        True,
        "nl",
    )
    saved = records.create_user_account(
        imported_engine,
        anna,
        values=dict(
            username="bram",
            password=PASSWORD,
            role="coordinator",
            community_builder_id=None,
            active=True,
            email="Bram@Samenhier.example",
            weekly_digest=False,
            language="en",
        ),
    )
    with Session(imported_engine) as s:
        bram = s.get(UserAccount, saved.id)
        assert (bram.email, bram.weekly_digest, bram.language) == ("Bram@samenhier.example", False, "en")


def test_create_user_refuses_an_invalid_address(engine):
    from samenhier.services.users import UserError

    with pytest.raises(UserError) as refused:
        create_user(engine, "anna", PASSWORD, "coordinator", email="anna-at-example")
    assert refused.value.field == "email"
    with Session(engine) as s:
        assert s.exec(select(UserAccount)).all() == []
        assert s.exec(select(DigestDelivery)).all() == []


def test_a_digest_another_run_is_sending_is_left_alone_until_that_run_is_clearly_gone(
    imported_engine, sheets, smtp
):
    builder_account(imported_engine, SAMIRA)
    with Session(imported_engine) as s:
        user_id = s.exec(select(UserAccount.id).where(UserAccount.username == "samira")).one()
        s.add(
            DigestDelivery(
                user_id=user_id,
                iso_week="2026-W51",
                status="sending",
                attempts=1,
                last_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2),
            )
        )
        s.commit()
    assert [o.status for o in run_notify(imported_engine, as_of=AS_OF).outcomes] == ["busy"]
    assert smtp.messages == []
    with imported_engine.begin() as c:  # that run died 11 minutes ago, in the middle of its send
        c.execute(
            text("UPDATE digest_delivery SET last_attempt_at = :t"),
            {"t": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)},
        )
    assert [o.status for o in run_notify(imported_engine, as_of=AS_OF).outcomes] == ["sent"]
    assert deliveries(imported_engine) == [("samira", "2026-W51", "sent", 2)]
    assert len(smtp.to(builder_email(sheets, SAMIRA))) == 1


def test_create_user_on_the_command_line_takes_an_address(engine):
    env = cli_env(engine.url.database)
    run = run_cli(
        "create-user",
        "anna",
        "--role",
        "coordinator",
        "--email",
        "anna@samenhier.example",
        env=env,
        stdin=PASSWORD + "\n",
    )
    assert run.returncode == 0, run.stderr
    refused = run_cli(
        "create-user",
        "bram",
        "--role",
        "coordinator",
        "--email",
        "geen-adres",
        env=env,
        stdin=PASSWORD + "\n",
    )
    assert refused.returncode == 1 and "e-mail" in refused.stderr
    with Session(engine) as s:
        assert [(u.username, u.email, u.weekly_digest) for u in s.exec(select(UserAccount))] == [
            ("anna", "anna@samenhier.example", True)
        ]


def test_a_municipality_coordinators_digest_stays_within_their_municipality(imported_engine, sheets, smtp):
    create_user(
        imported_engine,
        "rosa",
        PASSWORD,
        "coordinator",
        municipalities=["Rotterdam"],
        email="rosa@samenhier.example",
    )
    create_user(imported_engine, "anna", PASSWORD, "coordinator", email="anna@samenhier.example")
    run_notify(imported_engine, as_of=AS_OF)
    rosa, anna = (
        everything(smtp.to("rosa@samenhier.example")[0]),
        everything(smtp.to("anna@samenhier.example")[0]),
    )
    groups, newcomers = sheets["groepen"], sheets["nieuwkomers"]
    elsewhere = {
        r.groep_code.strip() for r in groups.itertuples() if r.gemeente.strip().lower() != "rotterdam"
    }
    assert elsewhere and len(elsewhere) < len(groups)
    elsewhere |= {
        r.nieuwkomer_code for r in newcomers.itertuples() if r.gemeente.strip().lower() != "rotterdam"
    }
    assert [code for code in elsewhere if code in rosa] == []
    assert [code for code in elsewhere if code in anna]  # the national coordinator's digest does name them
    assert "0599-013" in rosa  # Rotterdam's quietest group (52 days)
