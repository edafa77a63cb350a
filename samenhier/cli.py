"""Command line: ``samenhier <command>`` (installed) or ``python -m samenhier <command>``.

Exit codes: 0 ok, 1 invalid input, 2 usage error. Each command is one handler function ``cmd_<name>(args, ctx)``,
chosen by argparse (``set_defaults(func=...)``); :func:`main` only parses, checks the settings and opens the
store for the commands that need it (``opens`` default: ``None`` needs none, ``"read"`` needs an existing one,
``"write"`` creates or upgrades it; a function of the arguments for ``import``, whose dry run only reads).
The README's command table is generated from :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from samenhier import PROJECT_ROOT, formatting, i18n
from samenhier.clock import today
from samenhier.db import get_engine, sqlite_file
from samenhier.models import UserRole, Variant
from samenhier.settings import SettingsError, get_settings

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
READ, WRITE = "read", "write"
"""How a command uses the store: an existing one only (a mistyped URL must not create an empty store and report
zeros from it), or created/upgraded as needed."""
STREAMLIT_CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"
"""Streamlit's production settings; ``samenhier run`` passes them as options, so they apply from any folder."""


@dataclass(frozen=True)
class Context:
    """What every handler gets besides its arguments: the parser (for usage errors), the language of
    messages, and the opened store (None for the commands that need none)."""

    parser: argparse.ArgumentParser
    lang: str
    engine: object | None = None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the store (default: $SAMENHIER_DATABASE_URL or sqlite:///db/samenhier.db)",
    )
    common.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        default=None,
        help="language of messages (default: nl, or $SAMENHIER_LANG)",
    )
    parser = argparse.ArgumentParser(
        prog="samenhier", description="Samen Hier dashboard: serve, store, import and report."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "run",
        parents=[common],
        help="create or upgrade the store, then serve the dashboard",
        description="Create the store or upgrade it to the newest schema, then serve the dashboard with "
        "Streamlit (serve.py) on http://127.0.0.1:PORT until Ctrl+C.",
    )
    p.add_argument("--port", type=int, default=8501, metavar="N", help="port to listen on (default 8501)")
    p.add_argument(
        "--address",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1: this machine only; see the README before "
        "serving a network)",
    )
    p.set_defaults(func=cmd_run, opens=WRITE)

    p = sub.add_parser(
        "init-db",
        parents=[common],
        help="create the store or upgrade it to the newest schema",
        description="Create the store, or upgrade an existing one to the newest schema (Alembic upgrade head).",
    )
    p.set_defaults(func=cmd_init_db, opens=WRITE)

    p = sub.add_parser(
        "import",
        parents=[common],
        help="import a coordinator's workbook (.xlsx) or its sheets as CSV files",
        description="Import workbooks (.xlsx), CSV files named like the sheets (groepen.csv, …; ; or , separated, "
        "UTF-8 or Windows-1252), folders of such CSV files, or .zip files of them: all rows valid or "
        "nothing written. Importing the same data again changes nothing.",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="workbook (.xlsx), CSV file, folder of CSV files, or .zip of CSV files",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check and show what would change, write nothing; lists the conflicts "
        "with edits made in the app, by code",
    )
    p.add_argument(
        "--on-conflict",
        choices=("keep-app", "take-workbook"),
        default="keep-app",
        help="a field changed in the app since the record's last import: keep-app (default) keeps the app's value, "
        "take-workbook writes the workbook's",
    )
    p.set_defaults(func=cmd_import, opens=lambda args: READ if args.dry_run else WRITE)

    p = sub.add_parser(
        "export",
        parents=[common],
        help="export the store in the import layout (.xlsx or CSV files)",
        description="Write every record in the layout the import reads: a workbook (.xlsx), or with --format csv a "
        "folder with one CSV file per sheet (; separated, UTF-8 with BOM, dates dd-mm-jjjj). "
        "Importing the export again changes nothing.",
    )
    p.add_argument(
        "path",
        metavar="PATH",
        help="the workbook file to write, or (csv) the folder to write the CSV files into",
    )
    p.add_argument("--format", choices=("xlsx", "csv"), default="xlsx", help="xlsx (default) or csv")
    p.set_defaults(func=cmd_export, opens=READ)

    p = sub.add_parser(
        "backup",
        parents=[common],
        help="copy the store to a backup file (safe while the app runs)",
        description="Copy the SQLite store with SQLite's online backup: a consistent copy even while the app writes. "
        "SQLite only; use pg_dump for PostgreSQL.",
    )
    p.add_argument(
        "path",
        metavar="PATH",
        help="the backup file, or a folder to put a dated backup file in (an existing one, "
        "or any path ending in /)",
    )
    p.set_defaults(func=cmd_backup, opens=READ)

    p = sub.add_parser(
        "restore",
        parents=[common],
        help="replace the store by a backup, after checking it",
        description="Check the backup (SQLite integrity check, Samen Hier schema not newer than this version), keep a "
        "copy of the current store in the backup folder, then replace the store's content by the backup.",
    )
    p.add_argument("path", metavar="PATH", help="the backup file")
    p.add_argument(
        "--yes",
        action="store_true",
        help="go ahead when the backup adds, removes or changes accounts (they are "
        "listed first; without --yes you are asked, and refused when no one can answer)",
    )
    p.set_defaults(func=cmd_restore, opens=READ)

    p = sub.add_parser(
        "report",
        parents=[common],
        help="the programme's headline figures, or the year report (--year)",
        description="Headline figures as of a date: counts, groups by status, pending matches, meetings per month, survey. "
        "With --year: the year report for funders and municipalities (figures of that year, honest survey "
        "summaries; figures about fewer than SAMENHIER_MIN_CELL_SIZE people left out), as text, JSON (the "
        "headline object gains a 'year' object), Excel, Word or PDF.",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="peildatum YYYY-MM-DD (default: today, or $SAMENHIER_TODAY)",
    )
    p.add_argument(
        "--format",
        choices=("json", "text", "xlsx", "docx", "pdf"),
        default="text",
        help="text (default), json; with --year also xlsx, docx, pdf",
    )
    p.add_argument(
        "--year",
        type=int,
        metavar="YYYY",
        help="the year report of this calendar year (up to the as-of date)",
    )
    p.add_argument(
        "--municipality", nargs="+", metavar="NAME", default=[], help="with --year: only these municipalities"
    )
    p.add_argument(
        "--variant",
        nargs="+",
        metavar="V",
        default=[],
        choices=[v.value for v in Variant],
        help="with --year: only these programme variants",
    )
    p.add_argument(
        "--output",
        metavar="PATH",
        help="write the report to this file (default for xlsx/docx/pdf: jaarverslag-YYYY.<format>)",
    )
    p.add_argument(
        "--shareable",
        action="store_true",
        help="for sharing outside the organisation (funders): figures about fewer than SAMENHIER_MIN_CELL_SIZE people (default 5) are left out",
    )
    p.set_defaults(func=cmd_report, opens=READ)

    p = sub.add_parser(
        "retention",
        parents=[common],
        help="list (and anonymise) the people past the retention period",
        description="List the members and newcomers whose data is past the retention period "
        "(SAMENHIER_RETENTION_MONTHS after their last activity, default 24), by code. "
        "With --apply --yes: anonymise them all in one transaction (names, contact details and "
        "notes naming them are erased; programme figures stay the same). Cannot be undone.",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="peildatum YYYY-MM-DD (default: today, or $SAMENHIER_TODAY)",
    )
    p.add_argument("--apply", action="store_true", help="anonymise the people listed (needs --yes)")
    p.add_argument("--yes", action="store_true", help="confirm --apply: erasure cannot be undone")
    p.set_defaults(func=cmd_retention, opens=READ)

    p = sub.add_parser(
        "demo",
        parents=[common],
        help="fill an empty store with fictional demo data",
        description="Generate realistic, fictional demo data (not the shared workbook). Refuses a store that already has groups.",
    )
    p.add_argument(
        "--seed", type=int, default=7, metavar="N", help="random seed (same seed and date: same data)"
    )
    p.add_argument(
        "--scale",
        choices=("demo", "national"),
        default="demo",
        help="demo: four cities (default); national: 40 municipalities, 5,000 groups, ~400,000 meetings (for benchmarks)",
    )
    p.add_argument("--as-of", type=_date, metavar="DATE", help="date the demo is 'now' (default: today)")
    p.set_defaults(func=cmd_demo, opens=WRITE)

    p = sub.add_parser(
        "bench",
        parents=[common],
        help="time every page at demo or national scale; writes docs/benchmarks.md",
        description="Benchmark: build a fresh store of the given scale (in a temporary folder), run every page cold and "
        "warm as Streamlit's AppTest does, measure peak memory, payloads and a 50,000-row meetings import, "
        "print the table and write it to docs/benchmarks.md. It never opens your store (--database-url is refused).",
    )
    p.add_argument(
        "--scale",
        choices=("demo", "national"),
        default="demo",
        help="demo: four cities (default); national: 40 municipalities",
    )
    p.add_argument("--runs", type=int, default=5, metavar="N", help="runs per median (default 5)")
    p.add_argument(
        "--pages",
        nargs="+",
        metavar="NAME",
        help="only these pages (file names in views/, e.g. overview meetings)",
    )
    p.add_argument(
        "--store", metavar="PATH", help="keep the generated store here (reused when it already holds data)"
    )
    p.add_argument(
        "--import-rows",
        type=int,
        default=50_000,
        metavar="N",
        help="meetings in the timed import (0: skip; default 50,000)",
    )
    p.add_argument("--output", metavar="PATH", help="report file (default docs/benchmarks.md)")
    p.add_argument("--no-write", action="store_true", help="only print the table")
    p.add_argument(
        "--no-browser", action="store_true", help="skip the timing in a real browser (Playwright + Chromium)"
    )
    p.set_defaults(func=cmd_bench, opens=None)

    p = sub.add_parser(
        "create-user",
        parents=[common],
        help="create a login account",
        description="Create an account. The password is asked twice, or read from standard input when that is not a terminal.",
    )
    p.add_argument("name", help="login name")
    p.add_argument("--role", required=True, choices=[r.value for r in UserRole])
    p.add_argument(
        "--community-builder",
        metavar="NAME",
        help="for role community_builder: their name as in the workbook",
    )
    p.add_argument(
        "--municipality",
        metavar="NAME",
        action="append",
        default=[],
        help="for role coordinator: a municipality they coordinate (repeat for several); none: a national coordinator",
    )
    p.add_argument(
        "--email",
        metavar="ADDRESS",
        help="where the weekly digest goes (default for a community builder: "
        "the builder's address in the workbook)",
    )
    p.set_defaults(func=cmd_create_user, opens=WRITE)

    p = sub.add_parser(
        "template",
        parents=[common],
        help="write an empty workbook to fill in (drop-down lists, an Uitleg sheet)",
        description="Write an empty workbook in the import layout: a first sheet Uitleg explaining every column "
        "(in the --lang language), the seven sheets with their headers, drop-down lists for every "
        "closed column and dates formatted dd-mm-jjjj. Fill it in and import it.",
    )
    p.add_argument("path", metavar="PATH", help="the .xlsx file to write")
    p.set_defaults(func=cmd_template, opens=None)

    p = sub.add_parser(
        "notify",
        parents=[common],
        help="e-mail this week's to-do digest to every account that wants it",
        description="Send each active account with the weekly digest on its to-dos (community builders: their "
        "groups; coordinators: the programme's reminders), at most once per ISO week; a failed send "
        "is retried by the next run. Run it from the operating system's scheduler (see the README). "
        "Mail server: SAMENHIER_SMTP_HOST, _PORT, _USER, _PASSWORD, _STARTTLS, SAMENHIER_MAIL_FROM; "
        "links: SAMENHIER_APP_URL. Exit code 1 when the mail server is not set or a send failed.",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="peildatum YYYY-MM-DD (default: today, or $SAMENHIER_TODAY)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print what would be sent and to whom; send and store nothing"
    )
    p.set_defaults(func=cmd_notify, opens=READ)
    return parser


def _read_password(stdin=None) -> str:
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Wachtwoord / password: ")
        if first != getpass.getpass("Nogmaals / again: "):
            raise ValueError("passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def _username() -> str:
    """Who runs the command, for the audit trail; ``cli`` when the OS cannot say (container with a bare uid)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no USER/LOGNAME and no passwd entry: KeyError up to 3.12, OSError from 3.13
        return "cli"


def _confirmed(lang: str) -> bool:
    """Ask on the terminal; False when standard input is not a terminal (a script must pass --yes)."""
    if not sys.stdin.isatty():
        return False
    answer = input(i18n.t("cli.restore.ask", lang) + " ")
    return answer.strip().casefold() in ("j", "ja", "y", "yes")


def _as_coordinator(run: Callable[[], int], lang: str) -> int:
    """Run ``export``/``backup``/``restore`` work, turning a refused backup or a file error into exit code 1."""
    from samenhier.backup import BackupError

    try:
        return run()
    except BackupError as exc:
        print(i18n.t("cli.backup.failed", lang, reason=exc.message(lang)), file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return EXIT_INVALID


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    """``export PATH [--format xlsx|csv]``, as a coordinator named after the OS user."""
    from samenhier.scope import Scope
    from samenhier.services import data

    def run() -> int:
        written = data.export_to_disk(
            ctx.engine, Scope.coordinator(_username()), path=args.path, fmt=args.format
        )
        print(i18n.t("cli.export.done", ctx.lang, n=len(written), path=args.path))
        return EXIT_OK

    return _as_coordinator(run, ctx.lang)


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    """``backup PATH``: a file, or a folder (an existing one, or a path ending in a separator) for a dated file."""
    from samenhier.scope import Scope
    from samenhier.services import data

    def run() -> int:
        into_folder = args.path.endswith(("/", os.sep))  # "backups/": a folder, made if needed
        made = data.backup_now(
            ctx.engine, Scope.coordinator(_username()), **{"folder" if into_folder else "target": args.path}
        )
        print(i18n.t("cli.backup.done", ctx.lang, path=made))
        return EXIT_OK

    return _as_coordinator(run, ctx.lang)


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    """``restore PATH [--yes]``: check, list the account changes and ask (or ``--yes``), then restore."""
    from samenhier.backup import backup_dir
    from samenhier.scope import Scope
    from samenhier.services import data

    lang, scope = ctx.lang, Scope.coordinator(_username())

    def run() -> int:
        info = data.check_restore(ctx.engine, scope, source=args.path)
        if info.accounts:
            print(i18n.t("cli.restore.accounts", lang, n=len(info.accounts)))
            for change in info.accounts:
                print("  " + change.describe(lang))
            if not args.yes and not _confirmed(lang):
                print(i18n.t("cli.restore.not_confirmed", lang), file=sys.stderr)
                return EXIT_INVALID
        result = data.restore(
            ctx.engine,
            scope,
            source=args.path,
            safety_dir=backup_dir(ctx.engine, get_settings().backup_dir),
            confirmed_accounts=info.accounts,
        )
        print(i18n.t("cli.restore.done", lang, path=args.path, safety=result.safety_copy))
        return EXIT_OK

    return _as_coordinator(run, lang)


def cmd_retention(args: argparse.Namespace, ctx: Context) -> int:
    """``retention [--apply --yes]``: the people past retention by code (names stay out of terminals and
    cron mails), and with ``--apply --yes`` their anonymisation in one transaction."""
    from samenhier.queries.privacy import retention_due
    from samenhier.scope import Scope
    from samenhier.services.privacy import anonymise_past_retention

    engine, lang = ctx.engine, ctx.lang
    if args.yes and not args.apply:
        print(i18n.t("cli.retention.yes_without_apply", lang), file=sys.stderr)
        return EXIT_USAGE
    if args.apply and not args.yes:
        print(i18n.t("cli.retention.confirm", lang), file=sys.stderr)
        return EXIT_USAGE
    as_of = args.as_of or today()
    scope = Scope.coordinator(_username())
    due = retention_due(engine, scope, as_of=as_of)
    print(
        i18n.t(
            "cli.retention.listed",
            lang,
            n=len(due),
            months=get_settings().retention_months,
            date=formatting.format_date(as_of, lang),
        )
    )
    for row in due.itertuples(index=False):
        print(
            f"  {i18n.t('audit.table.' + row.kind, lang):<12} {row.code:<12} {row.last_activity.isoformat()}  "
            f"{row.due_date.isoformat()}"
        )
    if args.apply and len(due):
        done = anonymise_past_retention(engine, scope, as_of=as_of, confirm=True)
        print(i18n.t("cli.retention.done", lang, n=len(done)))
    return EXIT_OK


def _year_report(args: argparse.Namespace, ctx: Context) -> int:
    """``report --year YYYY [--municipality …] [--variant …] [--format …] [--output PATH]``."""
    from samenhier.queries.report import headline_report
    from samenhier.queries.year_report import municipality_names, year_figures
    from samenhier.reports import content, render
    from samenhier.scope import Filters, Scope

    engine, lang, parser = ctx.engine, ctx.lang, ctx.parser
    if args.year is None:
        parser.error("--municipality, --variant, --output and the formats xlsx, docx and pdf need --year")
    if args.shareable:
        parser.error(
            "--shareable is for the headline report; the year report always leaves out small numbers"
        )
    known = municipality_names(engine)
    unknown = [m for m in args.municipality if m not in known]
    if unknown:
        print(
            i18n.t("cli.year.unknown_municipality", lang, names=", ".join(unknown), known=", ".join(known)),
            file=sys.stderr,
        )
        return EXIT_INVALID
    as_of = args.as_of or today()
    filters = Filters(municipalities=tuple(args.municipality), variants=tuple(args.variant))
    try:
        figures = year_figures(
            engine, Scope.coordinator(_username()), year=args.year, as_of=as_of, filters=filters
        )
    except ValueError as exc:
        print(
            i18n.t("cli.year.not_begun", lang, year=args.year, date=formatting.format_date(as_of, lang))
            + f" ({exc})",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.format == "json":
        report = {"as_of": as_of.isoformat()}
        if not (filters.municipalities or filters.variants):  # the headline figures are programme-wide
            report = headline_report(engine, as_of)
        data = (json.dumps({**report, "year": figures}, ensure_ascii=False) + "\n").encode("utf-8")
    else:
        document = content.build(figures, lang, charts=args.format != "text")
        try:
            data = render.render(document, args.format)
        except FileNotFoundError as exc:  # a configured Word template that is not there
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INVALID
    output = args.output or (
        f"jaarverslag-{args.year}.{args.format}" if args.format in ("xlsx", "docx", "pdf") else None
    )
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return EXIT_OK
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(i18n.t("cli.year.written", lang, path=output))
    return EXIT_OK


def cmd_notify(args: argparse.Namespace, ctx: Context) -> int:
    """``notify [--as-of DATE] [--dry-run]``: this week's digests (samenhier.notify); a line per account."""
    from samenhier.notify import MailNotConfigured, run_notify

    lang = ctx.lang
    if args.dry_run:
        print(i18n.t("cli.notify.dry_run", lang))

    def show(outcome) -> None:
        status = i18n.t(f"cli.notify.status.{outcome.status}", lang, error=outcome.error)
        print(f"  {outcome.username:<20} {outcome.address or '-':<36} {status}")
        if outcome.status == "would_send":
            print(f"    {outcome.subject}")
            print("".join(f"    | {line}\n" for line in outcome.text.splitlines()), end="")

    try:
        result = run_notify(
            ctx.engine,
            as_of=args.as_of or today(),
            dry_run=args.dry_run,
            actor=f"notify ({_username()})",
            progress=show,
        )
    except MailNotConfigured:
        print(i18n.t("cli.notify.no_host", lang), file=sys.stderr)
        return EXIT_INVALID
    if args.dry_run:
        print(i18n.t("cli.notify.summary_dry_run", lang, week=result.week, n=result.count("would_send")))
        return EXIT_OK
    sent = result.count("sent")
    print(
        i18n.t(
            "cli.notify.summary",
            lang,
            week=result.week,
            sent=sent,
            failed=len(result.failed),
            other=len(result.outcomes) - sent - len(result.failed),
        )
    )
    if result.failed:
        print(i18n.t("cli.notify.failed", lang, n=len(result.failed)), file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def cmd_report(args: argparse.Namespace, ctx: Context) -> int:
    """``report``: the headline figures (text or JSON), or with any year-report option the year report."""
    if (
        args.year is not None
        or args.format in ("xlsx", "docx", "pdf")
        or args.municipality
        or args.variant
        or args.output
    ):
        return _year_report(args, ctx)
    from samenhier.queries.report import headline_report, report_text

    min_n = get_settings().min_cell_size if args.shareable else None
    report = headline_report(ctx.engine, args.as_of or today(), min_n=min_n)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(report_text(report, ctx.lang), end="")
    return EXIT_OK


def cmd_init_db(args: argparse.Namespace, ctx: Context) -> int:
    """``init-db``: opening the store created or upgraded it; say which."""
    print(i18n.t("cli.init_db.done", ctx.lang, url=ctx.engine.url.render_as_string(hide_password=True)))
    return EXIT_OK


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    """``import PATH… [--dry-run] [--on-conflict …]``: all or nothing; lists problems, then what changed."""
    from samenhier.io.workbook import ImportFailed, import_paths

    lang = ctx.lang
    try:
        result = import_paths(
            ctx.engine, args.paths, username=_username(), dry_run=args.dry_run, on_conflict=args.on_conflict
        )
    except ImportFailed as failed:
        print(i18n.t("cli.import.failed", lang, n=len(failed.issues)), file=sys.stderr)
        for issue in failed.issues:
            print("  " + issue.describe(lang), file=sys.stderr)
        return EXIT_INVALID
    print(i18n.t("cli.import.dry_run", lang) if args.dry_run else i18n.t("cli.import.done", lang))
    for s in result.sheets:
        print(
            "  "
            + i18n.t(
                "cli.import.sheet",
                lang,
                sheet=f"{s.sheet:<20}",
                new=s.new,
                changed=s.changed,
                unchanged=s.unchanged,
            )
        )
    if result.conflicts:
        print(i18n.t(f"cli.import.conflicts.{args.on_conflict}", lang, n=len(result.conflicts)))
        for c in result.conflicts:
            print(
                "  "
                + i18n.t(
                    "cli.import.conflict",
                    lang,
                    sheet=c.sheet,
                    row=c.row,
                    record=c.record,
                    column=c.column,
                    before=c.before if c.before is not None else "",
                    after=c.after if c.after is not None else "",
                )
            )
    if result.missing:
        print(i18n.t("cli.import.missing", lang, n=len(result.missing)))
        for m in result.missing:
            print(f"  {m.sheet}: {m.record}")
    if result.backup is not None:
        print(i18n.t("cli.import.backup", lang, file=result.backup))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    """``demo [--seed N] [--as-of DATE] [--scale demo|national]``: only into a store without groups."""
    from samenhier.demo import load_demo
    from samenhier.models import WelcomeGroup
    from samenhier.queries.common import count_rows

    if count_rows(ctx.engine, WelcomeGroup):
        print(i18n.t("cli.demo.not_empty", ctx.lang), file=sys.stderr)
        return EXIT_INVALID
    as_of = args.as_of or today()
    if args.scale == "national":
        from samenhier.demo_national import load_national

        counts = load_national(ctx.engine, as_of, seed=args.seed)
        groups, meetings = counts["welcome_group"], counts["meeting"]
    else:
        new = {sheet.sheet: sheet.new for sheet in load_demo(ctx.engine, as_of, seed=args.seed).sheets}
        groups, meetings = new["groepen"], new["bijeenkomsten"]
    print(i18n.t("cli.demo.done", ctx.lang, groups=groups, meetings=meetings))
    return EXIT_OK


def cmd_create_user(args: argparse.Namespace, ctx: Context) -> int:
    """``create-user NAME --role …``: the password from the terminal (twice) or one line of standard input."""
    from samenhier.services.users import UserError, create_user

    try:
        password = _read_password()
        create_user(
            ctx.engine,
            args.name,
            password,
            args.role,
            community_builder=args.community_builder,
            municipalities=args.municipality,
            actor="cli",
            email=args.email,
        )
    except (UserError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(
        i18n.t(
            "cli.create_user.done",
            ctx.lang,
            name=args.name,
            role=i18n.label("user_role", args.role, ctx.lang),
        )
    )
    return EXIT_OK


def cmd_template(args: argparse.Namespace, ctx: Context) -> int:
    """``template PATH``: the empty workbook; needs no store."""
    from samenhier.io.template import template_bytes

    try:
        Path(args.path).write_bytes(template_bytes(ctx.lang))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(i18n.t("cli.template.done", ctx.lang, path=args.path))
    return EXIT_OK


def cmd_bench(args: argparse.Namespace, ctx: Context) -> int:
    """``bench``: builds its own store, never opens the user's (``--database-url`` is a usage error)."""
    from samenhier.bench import DOCS, run_bench

    if args.runs < 1:
        ctx.parser.error("--runs must be at least 1")
    if args.database_url:
        ctx.parser.error("bench builds its own store; use --store PATH to keep it")
    output = None if args.no_write else Path(args.output) if args.output else DOCS
    result = run_bench(
        args.scale,
        runs=args.runs,
        pages=args.pages,
        store=Path(args.store) if args.store else None,
        import_rows=args.import_rows,
        output=output,
        browser=not args.no_browser,
    )
    return EXIT_INVALID if any(p.error for p in result.pages) else EXIT_OK


def streamlit_options(config: Path = STREAMLIT_CONFIG) -> list[str]:
    """``.streamlit/config.toml`` as ``--section.option=value`` options, so that ``samenhier run`` applies the
    production settings whatever the current folder (Streamlit itself reads only ``./.streamlit/``)."""
    with config.open("rb") as file:
        sections = tomllib.load(file)
    return [
        f"--{section}.{name}={str(value).lower() if isinstance(value, bool) else value}"
        for section, options in sections.items()
        for name, value in options.items()
    ]


def serve_command(args: argparse.Namespace) -> list[str]:
    """The command line that serves the dashboard: Streamlit on serve.py with the production options."""
    options = streamlit_options() + [f"--server.port={args.port}"]
    if args.address:
        options.append(f"--server.address={args.address}")
    return [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "serve.py"), *options]


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    """``run [--port N] [--address A]``: the store is created or upgraded (by opening it), then Streamlit serves
    serve.py in a child process until it stops. The child gets the store's absolute URL, so it opens the same
    store whatever its folder. Ctrl+C reaches both (one process group); a SIGTERM to this process (a service
    manager stopping it) is passed on, so no server is left behind."""
    url = ctx.engine.url.render_as_string(hide_password=False)
    print(i18n.t("cli.init_db.done", ctx.lang, url=ctx.engine.url.render_as_string(hide_password=True)))
    print(
        i18n.t("cli.run.serving", ctx.lang, url=f"http://{args.address or '127.0.0.1'}:{args.port}"),
        flush=True,
    )
    server = subprocess.Popen(serve_command(args), env={**os.environ, "SAMENHIER_DATABASE_URL": url})
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: server.terminate())
    try:
        return server.wait()
    except KeyboardInterrupt:  # Streamlit got the Ctrl+C too and stops by itself
        return server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _open_store(args: argparse.Namespace, ctx: Context) -> Context | int:
    """The context with the store opened as the command needs it, or an exit code after saying what is wrong."""
    mode = args.opens(args) if callable(args.opens) else args.opens
    if mode is None:
        return ctx
    try:
        today()  # a bad SAMENHIER_TODAY is a usage error before anything is opened
        store_file = sqlite_file(args.database_url)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if mode == READ and store_file is not None and not store_file.exists():
        print(i18n.t("cli.no_store", ctx.lang, path=store_file), file=sys.stderr)
        return EXIT_INVALID
    try:
        engine = get_engine(args.database_url)
    except Exception as exc:  # a bad URL or an unreadable file: say which, not a traceback
        print(f"error: cannot open the store: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return Context(ctx.parser, ctx.lang, engine)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's arguments), check the settings, open the store if the command
    needs one, and run the command's handler. Returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except (
        SettingsError
    ) as exc:  # e.g. SAMENHIER_LANG=de or SAMENHIER_TODAY=2025-13-01: named, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ctx = _open_store(args, Context(parser, args.lang or settings.lang))
    return ctx if isinstance(ctx, int) else args.func(args, ctx)


def run_main() -> None:
    """The ``samenhier`` console script and ``python -m samenhier``: :func:`main`, then exit with its code."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (e.g. `report --format json | head`): that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)
