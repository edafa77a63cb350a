"""Running ``python -m samenhier`` as a separate process, the way a coordinator does (used by the CLI tests)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from samenhier import PROJECT_ROOT

AS_OF = "2026-11-15"


def cli_env(database: os.PathLike | str) -> dict[str, str]:
    """This process's environment without any SAMENHIER_* setting, pointed at ``database`` (a SQLite file's
    path, or a ``postgresql+psycopg://`` URL) with a fixed clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENHIER_")}
    url = str(database) if str(database).startswith("postgresql") else f"sqlite:///{database}"
    env.update(SAMENHIER_DATABASE_URL=url, SAMENHIER_TODAY=AS_OF, SAMENHIER_LANG="nl",
               PYTHONPATH=str(PROJECT_ROOT))
    return env


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m samenhier *args`` from the project root; stdin is a pipe (never a terminal)."""
    return subprocess.run([sys.executable, "-m", "samenhier", *args], cwd=PROJECT_ROOT, env=env, input=stdin or "",
                          capture_output=True, text=True, timeout=120)


def query(database: Path, sql: str, *params) -> list[tuple]:
    """Rows of ``sql`` read straight from the SQLite file (stdlib sqlite3, independent of samenhier.db)."""
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """Like :func:`run_cli` but without waiting, to run independent commands side by side."""
    return subprocess.Popen([sys.executable, "-m", "samenhier", *args], cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
