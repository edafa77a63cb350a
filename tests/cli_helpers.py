"""Running the command line in the tests: in this process (:func:`run_cli`, fast: no interpreter start, no
imports again) or as a separate process the way a coordinator does (:func:`run_cli_process`, for a few smoke
tests of the real entry point: ``python -m samenhier`` and its exit code)."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from samenhier import PROJECT_ROOT, cli
from samenhier.db import get_engine

AS_OF = "2026-11-15"


def cli_env(database: os.PathLike | str) -> dict[str, str]:
    """This process's environment without any SAMENHIER_* setting, pointed at ``database`` (a SQLite file's
    path, or a ``postgresql+psycopg://`` URL) with a fixed clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENHIER_")}
    url = str(database) if str(database).startswith("postgresql") else f"sqlite:///{database}"
    env.update(
        SAMENHIER_DATABASE_URL=url, SAMENHIER_TODAY=AS_OF, SAMENHIER_LANG="nl", PYTHONPATH=str(PROJECT_ROOT)
    )
    return env


class _Pipe(io.StringIO):
    """Standard input as a pipe: never a terminal."""

    def isatty(self) -> bool:
        return False


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """``samenhier *args`` in this process: ``cli.main`` with exactly ``env`` as the environment, from the project
    root, standard input a pipe holding ``stdin``; returns the exit code and the captured output like
    :func:`run_cli_process`. The engines the command opened are closed afterwards (the test reads the file)."""
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
    os.environ.clear()
    os.environ.update(env)
    os.chdir(PROJECT_ROOT)
    sys.stdin = _Pipe(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exit_:  # argparse: --help (0) and usage errors (2)
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        get_engine.cache_clear()  # the command's engines: dropped with their pooled connections
    return subprocess.CompletedProcess(["samenhier", *args], code, out.getvalue(), err.getvalue())


def run_cli_process(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m samenhier *args`` as its own process from the project root; stdin is a pipe (never a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "samenhier", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def query(database: Path, sql: str, *params) -> list[tuple]:
    """Rows of ``sql`` read straight from the SQLite file (stdlib sqlite3, independent of samenhier.db)."""
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """Like :func:`run_cli` but without waiting, to run independent commands side by side."""
    return subprocess.Popen(
        [sys.executable, "-m", "samenhier", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
