"""Reminders by e-mail: the weekly to-do digest (issue 17), sent by ``python -m samenhier notify``.

Run from the operating system's scheduler (cron, a systemd timer, Windows Task Scheduler; see the
README), never inside the Streamlit process. One run:

1. takes every active account that wants the weekly digest (``weekly_digest``) and has an address
   (its own ``email``, or for a community builder's account the builder's);
2. builds its digest through the account's own :class:`~samenhier.scope.Scope`
   (:mod:`samenhier.queries.digest`): a community builder gets the to-dos of their groups, a
   coordinator the programme's reminders. Nothing to do: no mail;
3. sends it once per ISO week (``2026-W51``): a row in ``digest_delivery`` per account and week says
   it went out, so a second run in the same week sends nothing again; a failed send is kept as
   ``failed`` and retried by the next run (the run reports it and exits non-zero). A digest is marked
   ``sending`` before it goes out, so two runs at once never both send it; a run that died in the
   middle of a send leaves it ``sending``, and a run more than :data:`BUSY_MINUTES` later sends it again;
4. records every send and every failure in the audit trail: the recipient account and the week, never
   the content or the address.

Mails are plain text with an HTML alternative, in the account's language, sent with the standard
library (:mod:`smtplib`, :mod:`email`). They name groups by code and name, newcomers by code only, and
hold no contact details, survey answers or check-in texts (SECURITY.md).
"""

from __future__ import annotations

import datetime as dt
import html
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import quote

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from samenhier import formatting, i18n
from samenhier.clock import now_utc
from samenhier.db import session_scope
from samenhier.hub import period_text
from samenhier.models import CommunityBuilder, DigestDelivery, DigestStatus, UserAccount, UserRole
from samenhier.queries.digest import CoordinatorDigest, builder_digest, coordinator_digest
from samenhier.scope import Scope
from samenhier.services import audit
from samenhier.services.users import account_scope
from samenhier.settings import Settings, get_settings
from samenhier.todos import message_key

AUDIT_USER = "notify"
"""The name the audit trail gives the digest run."""
MAX_ITEMS = 50
"""Longest list per section of a mail; the rest is counted ("en nog 12 — zie het dashboard")."""
BUSY_MINUTES = 10
"""A digest marked ``sending`` less than this long ago belongs to a run still under way: left alone."""


class MailNotConfigured(RuntimeError):
    """``SAMENHIER_SMTP_HOST`` is not set: there is no mail server to send through."""


def iso_week(day: dt.date) -> str:
    """The ISO week of ``day`` as ``YYYY-Www`` (``2026-W51``); ISO years, so 2027-01-01 is ``2026-W53``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Recipient:
    """An account that gets the digest: ``address`` is its own e-mail, or its community builder's;
    ``scope`` its access rights as the store has them now (a municipality coordinator's reach included)."""

    user_id: int
    username: str
    role: str
    scope: Scope
    address: str | None
    language: str


@dataclass(frozen=True)
class Outcome:
    """What a run did for one account. ``status``: ``sent``, ``failed`` (retried next run),
    ``would_send`` (dry run), ``already_sent`` (this week), ``nothing_to_do``, ``no_address``, ``busy``
    (another run is sending it). ``error``: the technical reason of a failure (SMTP code or error class)."""

    username: str
    address: str | None
    status: str
    subject: str = ""
    text: str = ""
    error: str = ""


@dataclass
class NotifyResult:
    """The outcome of one run: the ISO ``week`` and one :class:`Outcome` per account considered."""

    week: str
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


# ------------------------------------------------------------------------------------------ recipients


def recipients(engine: Engine) -> list[Recipient]:
    """Active accounts that chose the weekly digest, by username; ``address`` None when they have none."""
    with Session(engine) as session:
        accounts = session.scalars(
            select(UserAccount)
            .where(UserAccount.active.is_(True), UserAccount.weekly_digest.is_(True))
            .order_by(func.lower(UserAccount.username))
        ).all()
        found = []
        for account in accounts:
            builder = (
                session.get(CommunityBuilder, account.community_builder_id)
                if account.community_builder_id
                else None
            )
            address = (
                account.email or (builder.email if builder is not None else None) or ""
            ).strip() or None
            language = account.language if account.language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
            found.append(
                Recipient(
                    account.id,
                    account.username,
                    account.role,
                    account_scope(session, account),
                    address,
                    language,
                )
            )
    return found


# ------------------------------------------------------------------------------------------ the message


@dataclass(frozen=True)
class _Item:
    """One line of a digest: its text, and the page it links to (absolute URL, or "")."""

    text: str
    link: str = ""


@dataclass(frozen=True)
class _Section:
    title: str
    items: tuple[_Item, ...]
    more: int = 0  # items left out beyond MAX_ITEMS
    link: str = ""  # the page of the whole section (a builder's group)


def _group_link(base: str, code: str) -> str:
    return f"{base}/groep?group={quote(str(code), safe='')}"


def _capped(title: str, items: list[_Item]) -> _Section:
    return _Section(title, tuple(items[:MAX_ITEMS]), max(0, len(items) - MAX_ITEMS))


def _builder_sections(frame: pd.DataFrame, lang: str, base: str) -> list[_Section]:
    """One section per group: its to-dos, in the words of "Mijn groepen"."""
    return [
        _Section(
            f"{row.group_code} · {row.group_name}",
            tuple(_Item(i18n.t(message_key(todo), lang, **todo.params)) for todo in row.todos),
            link=_group_link(base, row.group_code),
        )
        for row in frame.itertuples(index=False)
    ]


def _coordinator_sections(
    digest: CoordinatorDigest, lang: str, base: str, settings: Settings
) -> list[_Section]:
    def date(value) -> str:
        return formatting.format_date(value, lang)

    sections = []
    if not digest.urgent_newcomers.empty:
        sections.append(
            _capped(
                i18n.t(
                    "digest.section.urgent_newcomers",
                    lang,
                    n=len(digest.urgent_newcomers),
                    days=settings.urgent_days_left,
                ),
                [
                    _Item(
                        i18n.t(
                            "digest.item.urgent_newcomer",
                            lang,
                            code=r.code,
                            municipality=r.municipality,
                            days=int(r.days_left),
                            date=date(r.eligibility_end),
                        ),
                        f"{base}/koppelen",
                    )
                    for r in digest.urgent_newcomers.itertuples(index=False)
                ],
            )
        )
    if not digest.quiet_groups.empty:
        sections.append(
            _capped(
                i18n.t("digest.section.quiet_groups", lang, n=len(digest.quiet_groups)),
                [
                    _Item(
                        i18n.t(
                            "digest.item.quiet_group",
                            lang,
                            code=r.group_code,
                            name=r.group_name,
                            days=int(r.days),
                        ),
                        _group_link(base, r.group_code),
                    )
                    for r in digest.quiet_groups.itertuples(index=False)
                ],
            )
        )
    if not digest.stale_proposals.empty:
        sections.append(
            _capped(
                i18n.t(
                    "digest.section.stale_proposals",
                    lang,
                    n=len(digest.stale_proposals),
                    days=settings.proposal_reminder_days,
                ),
                [
                    _Item(
                        i18n.t(
                            "digest.item.stale_proposal",
                            lang,
                            code=r.group_code,
                            name=r.group_name,
                            newcomer=r.newcomer_code,
                            date=date(r.proposed_date),
                            days=int(r.days),
                        ),
                        _group_link(base, r.group_code),
                    )
                    for r in digest.stale_proposals.itertuples(index=False)
                ],
            )
        )
    if not digest.serious_concerns.empty:
        sections.append(
            _capped(
                i18n.t("digest.section.serious_concerns", lang, n=len(digest.serious_concerns)),
                [
                    _Item(
                        i18n.t(
                            "digest.item.serious_concern",
                            lang,
                            code=r.group_code,
                            name=r.group_name,
                            date=date(r.check_in_date),
                        ),
                        _group_link(base, r.group_code),
                    )
                    for r in digest.serious_concerns.itertuples(index=False)
                ],
            )
        )
    if not digest.end_surveys_overdue.empty:
        sections.append(
            _capped(
                i18n.t("digest.section.end_surveys_overdue", lang, n=len(digest.end_surveys_overdue)),
                [
                    _Item(
                        i18n.t(
                            "digest.item.end_survey_overdue",
                            lang,
                            code=r.group_code,
                            name=r.group_name,
                            period=period_text(r.month, r.year_length, r.year_unit, lang),
                        ),
                        _group_link(base, r.group_code),
                    )
                    for r in digest.end_surveys_overdue.itertuples(index=False)
                ],
            )
        )
    return sections


def digest_sections(
    engine: Engine, recipient: Recipient, *, as_of: dt.date, settings: Settings
) -> list[_Section]:
    """The sections of ``recipient``'s digest as of ``as_of`` (empty list: nothing to do, no mail)."""
    base = settings.app_url.rstrip("/")
    if recipient.role == UserRole.COORDINATOR.value:
        return _coordinator_sections(
            coordinator_digest(engine, recipient.scope, as_of=as_of), recipient.language, base, settings
        )
    return _builder_sections(builder_digest(engine, recipient.scope, as_of=as_of), recipient.language, base)


def _text(recipient: Recipient, sections: list[_Section], *, as_of: dt.date, base: str) -> str:
    lang = recipient.language
    lines = [
        i18n.t("digest.greeting", lang, name=recipient.username),
        "",
        i18n.t(f"digest.intro.{recipient.role}", lang, date=formatting.format_date(as_of, lang)),
        "",
    ]
    for section in sections:
        lines += [section.title, "-" * min(len(section.title), 72)]
        for item in section.items:
            lines.append(f"- {item.text}")
            if item.link:
                lines.append(f"  {item.link}")
        if section.more:
            lines.append("- " + i18n.t("digest.more", lang, n=section.more, url=base))
        if section.link:
            lines.append(i18n.t("digest.open_group", lang, url=section.link))
        lines.append("")
    lines += [
        "-- ",
        i18n.t("digest.footer", lang),
        i18n.t("digest.settings_link", lang, url=f"{base}/instellingen"),
    ]
    return "\n".join(lines) + "\n"


def _html(recipient: Recipient, sections: list[_Section], *, as_of: dt.date, base: str) -> str:
    lang, e = recipient.language, html.escape
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif; line-height: 1.4">',
        f"<p>{e(i18n.t('digest.greeting', lang, name=recipient.username))}</p>",
        f"<p>{e(i18n.t(f'digest.intro.{recipient.role}', lang, date=formatting.format_date(as_of, lang)))}</p>",
    ]

    def linked(text: str, link: str) -> str:
        return f'<a href="{e(link)}">{e(text)}</a>' if link else e(text)

    for section in sections:
        parts.append(f'<h3 style="margin-bottom: 0.2em">{linked(section.title, section.link)}</h3><ul>')
        for item in section.items:
            parts.append(f"<li>{linked(item.text, item.link)}</li>")
        if section.more:
            parts.append(f"<li>{e(i18n.t('digest.more', lang, n=section.more, url=base))}</li>")
        parts.append("</ul>")
    parts.append(
        f'<p style="color: #666; font-size: 0.9em">{e(i18n.t("digest.footer", lang))} '
        f'<a href="{e(base)}/instellingen">{e(i18n.t("digest.settings", lang))}</a></p></body></html>'
    )
    return "\n".join(parts)


def sender_address(settings: Settings) -> str:
    """``SAMENHIER_MAIL_FROM``, else the SMTP login when it is an address, else ``samenhier@<host>``."""
    if settings.mail_from:
        return settings.mail_from
    if settings.smtp_user and "@" in settings.smtp_user:
        return settings.smtp_user
    return f"samenhier@{settings.smtp_host or 'localhost'}"


def compose(
    engine: Engine, recipient: Recipient, *, as_of: dt.date, settings: Settings
) -> EmailMessage | None:
    """The digest of ``recipient`` as an e-mail (text and HTML parts), or None when there is nothing to do."""
    sections = digest_sections(engine, recipient, as_of=as_of, settings=settings)
    if not sections:
        return None
    base = settings.app_url.rstrip("/")
    lang = recipient.language
    message = EmailMessage()
    message["Subject"] = i18n.t(
        "digest.subject", lang, week=as_of.isocalendar()[1], date=formatting.format_date(as_of, lang)
    )
    message["From"] = sender_address(settings)
    message["To"] = recipient.address or ""
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender_address(settings).rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to this
    message["Content-Language"] = lang
    message.set_content(_text(recipient, sections, as_of=as_of, base=base))
    message.add_alternative(_html(recipient, sections, as_of=as_of, base=base), subtype="html")
    return message


def plain_text(message: EmailMessage) -> str:
    """The text part of a digest (for --dry-run and tests)."""
    return message.get_body(preferencelist=("plain",)).get_content()


# ------------------------------------------------------------------------------------------ sending


class _Mailer:
    """One SMTP connection for a run, opened when first needed and reopened after a failure."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            if s.smtp_starttls:
                smtp.starttls()  # raises SMTPNotSupportedError when the server offers no STARTTLS: never send in clear
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.send_message(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def _reason(exc: BaseException) -> str:
    """A short technical reason for a failed send: SMTP reply codes or the error's class, never its text
    (which may quote an address)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "SMTP " + ", ".join(str(code) for code, _ in exc.recipients.values()) + " (recipient refused)"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP {exc.smtp_code} ({type(exc).__name__})"
    return type(exc).__name__


def _claim(engine: Engine, recipient: Recipient, week: str) -> int | None:
    """Mark this week's digest of ``recipient`` as being sent; returns the attempt number, or None when
    it was sent meanwhile or another run is sending it (checked inside the write transaction)."""
    now = now_utc()
    with session_scope(engine) as session:
        row = session.scalars(
            select(DigestDelivery)
            .where(DigestDelivery.user_id == recipient.user_id, DigestDelivery.iso_week == week)
            .with_for_update()
        ).first()
        if row is None:
            session.add(
                DigestDelivery(
                    user_id=recipient.user_id,
                    iso_week=week,
                    status=DigestStatus.SENDING.value,
                    attempts=1,
                    last_attempt_at=now,
                )
            )
            return 1
        if row.status == DigestStatus.SENT.value or _busy(row, now):
            return None
        row.status, row.attempts, row.last_attempt_at = DigestStatus.SENDING.value, row.attempts + 1, now
        return row.attempts


def _busy(row: DigestDelivery, now: dt.datetime) -> bool:
    last = row.last_attempt_at if row.last_attempt_at.tzinfo else row.last_attempt_at.replace(tzinfo=dt.UTC)
    return row.status == DigestStatus.SENDING.value and now - last < dt.timedelta(minutes=BUSY_MINUTES)


def _finish(
    engine: Engine, recipient: Recipient, week: str, attempt: int, error: str | None, actor: str
) -> None:
    """Record the result of a send and its audit event (recipient account and week; no content)."""
    now = now_utc()
    with session_scope(engine) as session:
        row = session.scalars(
            select(DigestDelivery).where(
                DigestDelivery.user_id == recipient.user_id, DigestDelivery.iso_week == week
            )
        ).one()
        row.status = DigestStatus.FAILED.value if error else DigestStatus.SENT.value
        row.error = error or ""
        if not error:
            row.sent_at = now
        account = session.get(UserAccount, recipient.user_id)
        changes = {"week": week, "attempt": attempt, **({"error": error} if error else {})}
        audit.record(
            session, actor, "digest_failed" if error else "digest_sent", record=account, changes=changes
        )


def _state(engine: Engine, user_id: int, week: str) -> DigestDelivery | None:
    with Session(engine) as session:
        return session.scalars(
            select(DigestDelivery).where(DigestDelivery.user_id == user_id, DigestDelivery.iso_week == week)
        ).first()


def run_notify(
    engine: Engine,
    *,
    as_of: dt.date,
    dry_run: bool = False,
    settings: Settings | None = None,
    actor: str = AUDIT_USER,
    progress: Callable[[Outcome], None] | None = None,
) -> NotifyResult:
    """Send this week's digests (see the module docstring); ``dry_run``: compose them, send and write nothing.

    ``progress`` is called with each :class:`Outcome` as it happens (the CLI prints them).

    Raises:
        MailNotConfigured: no ``SAMENHIER_SMTP_HOST`` (not raised for a dry run).
    """
    settings = settings or get_settings()
    if not settings.smtp_host and not dry_run:
        raise MailNotConfigured("SAMENHIER_SMTP_HOST is not set")
    week = iso_week(as_of)
    result = NotifyResult(week)
    mailer = _Mailer(settings)

    def report(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)

    try:
        for recipient in recipients(engine):
            if recipient.address is None:
                report(Outcome(recipient.username, None, "no_address"))
                continue
            state = _state(engine, recipient.user_id, week)
            if state is not None and state.status == DigestStatus.SENT.value:
                report(Outcome(recipient.username, recipient.address, "already_sent"))
                continue
            if state is not None and _busy(state, now_utc()):
                report(Outcome(recipient.username, recipient.address, "busy"))
                continue
            message = compose(engine, recipient, as_of=as_of, settings=settings)
            if message is None:
                report(Outcome(recipient.username, recipient.address, "nothing_to_do"))
                continue
            subject, text = str(message["Subject"]), plain_text(message)
            if dry_run:
                report(Outcome(recipient.username, recipient.address, "would_send", subject, text))
                continue
            try:
                attempt = _claim(engine, recipient, week)
            except IntegrityError:  # another run inserted this week's row at the same moment: it sends
                attempt = None
            if attempt is None:
                report(Outcome(recipient.username, recipient.address, "busy"))
                continue
            try:
                mailer.send(message)
            except (smtplib.SMTPException, OSError) as exc:
                error = _reason(exc)
                _finish(engine, recipient, week, attempt, error, actor)
                report(Outcome(recipient.username, recipient.address, "failed", subject, text, error))
            else:
                _finish(engine, recipient, week, attempt, None, actor)
                report(Outcome(recipient.username, recipient.address, "sent", subject, text))
    finally:
        mailer.close()
    return result
