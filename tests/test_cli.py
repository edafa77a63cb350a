"""``samenhier`` / ``python -m samenhier``: exit codes (0 ok, 1 invalid input, 2 usage), help, create-user and demo.

Most tests call the command line in this process (``run_cli`` or ``cli.main``: fast); the ``smoke`` tests run
``python -m samenhier`` as its own process, the way a coordinator does.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from argon2 import PasswordHasher
from cli_helpers import AS_OF, cli_env, query, run_cli, run_cli_process

from samenhier.cli import main
from samenhier.demo import demo_frames

SUBCOMMANDS = [
    "run",
    "init-db",
    "import",
    "export",
    "backup",
    "restore",
    "report",
    "retention",
    "demo",
    "bench",
    "create-user",
    "template",
    "notify",
]
"""Every command, as the README's command table lists them."""


@pytest.fixture
def store(tmp_path):
    """Path of a not yet existing store file, and the environment that points the CLI at it."""
    path = tmp_path / "cli.db"
    return path, cli_env(path)


def counts(path) -> dict[str, int]:
    tables = [
        r[0]
        for r in query(path, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    ]
    return {t: query(path, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


# ------------------------------------------------------------------------------------------ exit code 0


def test_smoke_init_db_creates_the_store(store):
    path, env = store
    done = run_cli_process("init-db", env=env)
    assert done.returncode == 0, done.stderr
    assert path.is_file()
    assert {"welcome_group", "meeting", "survey_response", "alembic_version"} <= set(counts(path))


def test_dry_run_import_exits_0_and_writes_nothing(store, workbook_path, workbook_sheets):
    path, env = store
    assert run_cli("init-db", env=env).returncode == 0  # a dry run checks against an existing store only
    done = run_cli("import", "--dry-run", str(workbook_path), env=env)
    assert done.returncode == 0, done.stderr
    assert "Proefimport" in done.stdout
    # the summary names each sheet with its number of new rows
    groups_line = next(line for line in done.stdout.splitlines() if line.strip().startswith("groepen"))
    assert f"nieuw {len(workbook_sheets['groepen']):>5}" in groups_line
    assert counts(path)["welcome_group"] == 0 and counts(path)["audit_event"] == 0


# ------------------------------------------------------------------------------------------ exit code 1


def test_invalid_workbook_exits_1_and_names_sheet_row_column(store, tmp_path, workbook_frames):
    path, env = store
    workbook_frames["bijeenkomsten"].loc[7, "datum"] = "31-02-2025"
    bad = tmp_path / "fout.xlsx"
    with pd.ExcelWriter(bad, engine="openpyxl") as writer:
        for sheet, frame in workbook_frames.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)

    done = run_cli("import", str(bad), env=env)

    assert done.returncode == 1
    assert "bijeenkomsten, rij 9, kolom datum" in done.stderr  # frame index 7 + 2
    assert "31-02-2025" in done.stderr
    assert "Traceback" not in done.stderr
    assert counts(path)["welcome_group"] == 0


def test_missing_workbook_exits_1(store, tmp_path):
    _, env = store
    done = run_cli("import", str(tmp_path / "weg.xlsx"), env=env)
    assert done.returncode == 1
    assert "weg.xlsx" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------------------------------ exit code 2


@pytest.mark.parametrize("args", [[], ["report", "--as-of", "2026-13-01"]], ids=["no-command", "bad-as-of"])
def test_smoke_usage_errors_exit_2(store, args):
    path, env = store
    done = run_cli_process(*args, env=env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "usage:" in done.stderr
    assert not path.exists()  # a usage error touches no store


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["report", "--as-of", "15-11-2026"],  # Dutch order is for the workbook; the option takes ISO dates
        ["report", "--as-of", "2026-02-30"],
        ["report", "--format", "xml"],
        ["create-user", "anna"],  # --role is required
        ["create-user", "anna", "--role", "admin"],
        ["import"],  # no path
        ["demo", "--seed", "zeven"],
    ],
    ids=" ".join,
)
def test_more_usage_errors_exit_2(args, capsys):
    """The same argparse path as above, in-process (SystemExit is what ``python -m samenhier`` exits with)."""
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("command", SUBCOMMANDS + [None])
def test_help_exits_0(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"] if command else ["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: samenhier")
    if command:
        assert command in out.splitlines()[0]


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert re.findall(r"^    (\S+)", out, re.M) == SUBCOMMANDS  # one line per command, in the README's order


def test_smoke_python_m_samenhier_help_lists_every_command(store):
    done = run_cli_process("--help", env=store[1])
    assert done.returncode == 0, done.stderr
    assert re.findall(r"^    (\S+)", done.stdout, re.M) == SUBCOMMANDS


def test_help_documents_the_options(capsys):
    for command, option in (
        ("report", "--as-of"),
        ("report", "--format"),
        ("import", "--dry-run"),
        ("demo", "--seed"),
        ("create-user", "--role"),
    ):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert option in capsys.readouterr().out, (command, option)


# ------------------------------------------------------------------------------------------ create-user


def test_create_user_reads_the_password_from_stdin(store):
    path, env = store
    password = "lang genoeg wachtwoord"
    done = run_cli("create-user", "coord.anna", "--role", "coordinator", env=env, stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    [(name, role, stored_hash)] = query(path, "SELECT username, role, password_hash FROM user_account")
    assert (name, role) == ("coord.anna", "coordinator")
    assert password not in stored_hash
    assert PasswordHasher().verify(
        stored_hash, password
    )  # the hash is of exactly the line given, newline stripped


@pytest.mark.parametrize("password", ["kort", "123456789"])  # under 10 characters
def test_create_user_refuses_a_short_password(store, password):
    path, env = store
    done = run_cli("create-user", "coord.bert", "--role", "coordinator", env=env, stdin=password + "\n")
    assert done.returncode == 1
    assert "password" in done.stderr
    assert query(path, "SELECT count(*) FROM user_account") == [(0,)]


def test_create_user_refuses_a_taken_name_and_an_unknown_builder(store):
    path, env = store
    assert (
        run_cli(
            "create-user", "anna", "--role", "coordinator", env=env, stdin="lange-wachtwoord-1234\n"
        ).returncode
        == 0
    )
    again = run_cli("create-user", "ANNA", "--role", "coordinator", env=env, stdin="wachtwoord-5678\n")
    assert again.returncode == 1
    builder = run_cli(
        "create-user",
        "cb",
        "--role",
        "community_builder",
        "--community-builder",
        "Niemand",
        env=env,
        stdin="lange-wachtwoord-1234\n",
    )
    assert builder.returncode == 1 and "Niemand" in builder.stderr
    assert query(path, "SELECT username FROM user_account") == [("anna",)]


# ------------------------------------------------------------------------------------------ demo


def test_demo_fills_an_empty_store_deterministically(tmp_path):
    stores = [tmp_path / "a.db", tmp_path / "b.db"]
    # two stores filled with the same seed and date, then reported
    got = []
    for store in stores:
        demo = run_cli("demo", "--seed", "11", "--as-of", AS_OF, env=cli_env(store))
        assert demo.returncode == 0, demo.stderr
        report = run_cli("report", "--as-of", AS_OF, "--format", "json", env=cli_env(store))
        assert report.returncode == 0, report.stderr
        got.append(json.loads(report.stdout))

    stored = counts(stores[0])
    assert stored["welcome_group"] > 0 and stored["meeting"] > 0 and stored["survey_response"] > 0
    assert got[0]["counts"]["groepen"] == stored["welcome_group"]
    assert got[0]["counts"]["bijeenkomsten"] == stored["meeting"]
    assert got[0] == got[1]  # same seed, same as-of date: the same programme
    assert counts(stores[0]) == counts(stores[1])
    assert query(
        stores[0], "SELECT code, name, status, signup_date FROM welcome_group ORDER BY code"
    ) == query(stores[1], "SELECT code, name, status, signup_date FROM welcome_group ORDER BY code")


def test_demo_seed_matters():
    """So that the equality above is not vacuous: another seed gives another programme."""
    day = dt.date.fromisoformat(AS_OF)
    assert not demo_frames(day, seed=11)["groepen"].equals(demo_frames(day, seed=12)["groepen"])
    assert demo_frames(day, seed=11)["groepen"].equals(demo_frames(day, seed=11)["groepen"])


def test_demo_refuses_a_store_that_has_groups(imported_engine):
    path = imported_engine.url.database
    imported_engine.dispose()
    before = counts(path)
    done = run_cli("demo", "--seed", "3", "--as-of", AS_OF, env=cli_env(path))
    assert done.returncode == 1
    assert "groepen" in done.stderr
    assert counts(path) == before


# ------------------------------------------------------------------------------------------ environment


def test_an_unsupported_language_in_the_environment_is_a_usage_error(monkeypatch, capsys, db_url):
    """--lang is checked by argparse, but its default comes from SAMENHIER_LANG, which argparse does not check."""
    monkeypatch.setenv("SAMENHIER_LANG", "de")
    assert main(["report", "--as-of", AS_OF]) == 2
    assert "SAMENHIER_LANG='de'" in capsys.readouterr().err


def test_import_works_when_the_os_cannot_name_the_user(monkeypatch, engine, workbook_path, workbook_sheets):
    """In a container run with an arbitrary uid (no USER, no passwd entry) getpass.getuser() raises."""
    import getpass

    def no_user():
        raise KeyError("getpwuid(): uid not found: 12345")  # Python 3.11; 3.13 raises OSError

    monkeypatch.delenv("SAMENHIER_LANG", raising=False)
    monkeypatch.setattr(getpass, "getuser", no_user)
    assert main(["import", str(workbook_path)]) == 0
    with engine.connect() as c:
        [(username, groups)] = c.exec_driver_sql(
            "SELECT a.username, (SELECT count(*) FROM welcome_group) FROM audit_event a WHERE a.action = 'import'"
        ).all()
    assert username
    assert groups == len(workbook_sheets["groepen"])


def test_read_commands_do_not_create_a_store_for_a_mistyped_url(tmp_path):
    from samenhier.cli import main

    missing = tmp_path / "nergens" / "x.db"
    assert main(["report", "--database-url", f"sqlite:///{missing}"]) == 1
    assert main(["import", "--dry-run", "--database-url", f"sqlite:///{missing}", "bestand.xlsx"]) == 1
    assert not missing.exists() and not missing.parent.exists()


def test_an_invalid_samenhier_today_is_a_usage_error_not_a_traceback(monkeypatch, capsys):
    from samenhier.cli import main

    monkeypatch.setenv("SAMENHIER_TODAY", "2025-13-01")
    assert main(["init-db"]) == 2
    assert "SAMENHIER_TODAY" in capsys.readouterr().err


def test_the_store_file_is_readable_by_its_owner_only(tmp_path):
    from samenhier.cli import main

    store = tmp_path / "s.db"
    assert main(["init-db", "--database-url", f"sqlite:///{store}"]) == 0
    assert oct(store.stat().st_mode & 0o777) == "0o600"


# ------------------------------------------------------------------------------------------ run


def test_run_passes_the_production_settings_and_the_port_to_streamlit(tmp_path):
    """The options come from .streamlit/config.toml, read here with tomllib by hand."""
    import tomllib

    from samenhier import PROJECT_ROOT
    from samenhier.cli import build_parser, serve_command

    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    command = serve_command(build_parser().parse_args(["run", "--port", "8599"]))
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4] == str(PROJECT_ROOT / "serve.py")
    assert "--server.port=8599" in command
    assert f"--server.address={config['server']['address']}" in command  # 127.0.0.1: this machine only
    assert "--server.enableXsrfProtection=true" in command and "--client.toolbarMode=viewer" in command
    assert "--browser.gatherUsageStats=false" in command
    with_address = serve_command(build_parser().parse_args(["run", "--address", "0.0.0.0"]))
    assert with_address[-1] == "--server.address=0.0.0.0"  # the last one given wins in Streamlit


def test_smoke_run_creates_the_store_and_serves_the_dashboard(store):
    """``python -m samenhier run`` as a coordinator starts it: the store appears, Streamlit answers on the port,
    and stopping the command (SIGTERM) stops the server too."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from samenhier import PROJECT_ROOT

    path, env = store
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "samenhier", "run", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, health = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    health = answer.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert health == "ok", proc.stdout.read() if proc.poll() is not None else "no answer"
        assert path.is_file() and "welcome_group" in counts(path)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) is not None
        time.sleep(1)
        with pytest.raises(OSError):  # the server went with it
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # anything left in its session
            except ProcessLookupError:
                pass
