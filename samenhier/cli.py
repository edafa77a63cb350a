"""Command line: ``python -m samenhier <command>``. Exit codes: 0 ok, 1 invalid input, 2 usage error."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Sequence

from samenhier import i18n
from samenhier.clock import today
from samenhier.db import get_engine
from samenhier.models import UserRole

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="SQLAlchemy URL of the store (default: $SAMENHIER_DATABASE_URL or sqlite:///db/samenhier.db)")
    common.add_argument("--lang", choices=i18n.LANGUAGES, default=os.environ.get("SAMENHIER_LANG", i18n.DEFAULT_LANGUAGE),
                        help="language of messages (default: nl, or $SAMENHIER_LANG)")
    parser = argparse.ArgumentParser(prog="python -m samenhier", description="Samen Hier dashboard: store, import and report.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init-db", parents=[common], help="create the store or upgrade it to the newest schema",
                   description="Create the store, or upgrade an existing one to the newest schema (Alembic upgrade head).")

    p = sub.add_parser("import", parents=[common], help="import a coordinator's workbook (.xlsx)",
                       description="Import workbooks: all rows valid or nothing written. Importing the same workbook again changes nothing.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="workbook file(s) (.xlsx)")
    p.add_argument("--dry-run", action="store_true", help="check and show what would change, write nothing")

    p = sub.add_parser("report", parents=[common], help="the programme's headline figures",
                       description="Headline figures as of a date: counts, groups by status, pending matches, meetings per month, survey.")
    p.add_argument("--as-of", type=_date, help="peildatum YYYY-MM-DD (default: today, or $SAMENHIER_TODAY)")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.add_argument("--shareable", action="store_true",
                   help="for sharing outside the organisation (funders): figures about fewer than SAMENHIER_MIN_CELL_SIZE people (default 5) are left out")

    p = sub.add_parser("retention", parents=[common], help="list (and anonymise) the people past the retention period",
                       description="List the members and newcomers whose data is past the retention period "
                                   "(SAMENHIER_RETENTION_MONTHS after their last activity, default 24), by code. "
                                   "With --apply --yes: anonymise them all in one transaction (names, contact details and "
                                   "notes naming them are erased; programme figures stay the same). Cannot be undone.")
    p.add_argument("--as-of", type=_date, help="peildatum YYYY-MM-DD (default: today, or $SAMENHIER_TODAY)")
    p.add_argument("--apply", action="store_true", help="anonymise the people listed (needs --yes)")
    p.add_argument("--yes", action="store_true", help="confirm --apply: erasure cannot be undone")

    p = sub.add_parser("demo", parents=[common], help="fill an empty store with fictional demo data",
                       description="Generate realistic, fictional demo data (not the shared workbook). Refuses a store that already has groups.")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed and date: same data)")
    p.add_argument("--scale", choices=("demo", "national"), default="demo",
                   help="demo: four cities (default); national: 40 municipalities, 5,000 groups, ~400,000 meetings (for benchmarks)")
    p.add_argument("--as-of", type=_date, help="date the demo is 'now' (default: today)")

    p = sub.add_parser("create-user", parents=[common], help="create a login account",
                       description="Create an account. The password is asked twice, or read from standard input when that is not a terminal.")
    p.add_argument("name", help="login name")
    p.add_argument("--role", required=True, choices=[r.value for r in UserRole])
    p.add_argument("--community-builder", metavar="NAME", help="for role community_builder: their name as in the workbook")
    return parser


def _read_password(stdin=sys.stdin) -> str:
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


def _retention(engine, args, lang: str) -> int:
    """``retention [--apply --yes]``: the people past retention by code (names stay out of terminals and
    cron mails), and with ``--apply --yes`` their anonymisation in one transaction."""
    from samenhier.queries.privacy import retention_due
    from samenhier.scope import Scope
    from samenhier.services.privacy import anonymise_past_retention
    from samenhier.settings import get_settings

    if args.yes and not args.apply:
        print(i18n.t("cli.retention.yes_without_apply", lang), file=sys.stderr)
        return EXIT_USAGE
    if args.apply and not args.yes:
        print(i18n.t("cli.retention.confirm", lang), file=sys.stderr)
        return EXIT_USAGE
    as_of = args.as_of or today()
    scope = Scope.coordinator(_username())
    due = retention_due(engine, scope, as_of=as_of)
    print(i18n.t("cli.retention.listed", lang, n=len(due), months=get_settings().retention_months,
                 date=i18n.format_date(as_of, lang)))
    for row in due.itertuples(index=False):
        print(f"  {i18n.t('audit.table.' + row.kind, lang):<12} {row.code:<12} {row.last_activity.isoformat()}  "
              f"{row.due_date.isoformat()}")
    if args.apply and len(due):
        done = anonymise_past_retention(engine, scope, as_of=as_of, confirm=True)
        print(i18n.t("cli.retention.done", lang, n=len(done)))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang not in i18n.LANGUAGES:  # argparse checks --lang, not the default taken from SAMENHIER_LANG
        parser.error(f"SAMENHIER_LANG={args.lang!r} is not supported; choose one of {', '.join(i18n.LANGUAGES)}")
    lang = args.lang
    try:
        engine = get_engine(args.database_url)
    except Exception as exc:  # a bad URL or an unreadable file: say which, not a traceback
        print(f"error: cannot open the store: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.command == "init-db":
        print(i18n.t("cli.init_db.done", lang, url=engine.url.render_as_string(hide_password=True)))
        return EXIT_OK
    if args.command == "import":
        from samenhier.io.workbook import ImportFailed, import_paths

        try:
            result = import_paths(engine, args.paths, username=_username(), dry_run=args.dry_run)
        except ImportFailed as failed:
            print(i18n.t("cli.import.failed", lang, n=len(failed.issues)), file=sys.stderr)
            for issue in failed.issues:
                print("  " + issue.describe(lang), file=sys.stderr)
            return EXIT_INVALID
        print(i18n.t("cli.import.dry_run", lang) if args.dry_run else i18n.t("cli.import.done", lang))
        for s in result.sheets:
            print("  " + i18n.t("cli.import.sheet", lang, sheet=f"{s.sheet:<20}", new=s.new, changed=s.changed, unchanged=s.unchanged))
        return EXIT_OK
    if args.command == "report":
        from samenhier.queries.report import headline_report, report_text

        min_n = None
        if args.shareable:
            from samenhier.settings import get_settings

            min_n = get_settings().min_cell_size
        report = headline_report(engine, args.as_of or today(), min_n=min_n)
        if args.format == "json":
            print(json.dumps(report, ensure_ascii=False))
        else:
            print(report_text(report, lang), end="")
        return EXIT_OK
    if args.command == "retention":
        return _retention(engine, args, lang)
    if args.command == "demo":
        from samenhier.demo import load_demo
        from samenhier.models import WelcomeGroup
        from samenhier.queries.common import count_rows

        if count_rows(engine, WelcomeGroup):
            print(i18n.t("cli.demo.not_empty", lang), file=sys.stderr)
            return EXIT_INVALID
        if args.scale == "national":
            from samenhier.demo_national import load_national

            counts = load_national(engine, args.as_of or today(), seed=args.seed)
            print(i18n.t("cli.demo.done", lang, groups=counts["welcome_group"], meetings=counts["meeting"]))
            return EXIT_OK
        result = load_demo(engine, args.as_of or today(), seed=args.seed)
        print(i18n.t("cli.demo.done", lang, groups=result.sheets[1].new, meetings=result.sheets[5].new))
        return EXIT_OK
    if args.command == "create-user":
        from samenhier.services.users import UserError, create_user

        try:
            password = _read_password()
            create_user(engine, args.name, password, args.role, community_builder=args.community_builder, actor="cli")
        except (UserError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INVALID
        print(i18n.t("cli.create_user.done", lang, name=args.name, role=i18n.label("user_role", args.role, lang)))
        return EXIT_OK
    parser.error(f"unknown command {args.command}")  # unreachable: argparse checks the choices
    return EXIT_USAGE
