"""Settings of the product: the one place that reads ``SAMENHIER_<NAME>`` (pydantic-settings).

Where a setting comes from, first match wins:

1. the environment variable ``SAMENHIER_<NAME>`` (an empty one counts as unset);
2. a line ``SAMENHIER_<NAME>=value`` in the file ``.env`` in the project folder, or in the current folder
   (for servers; the current folder's file wins);
3. a file named ``SAMENHIER_<NAME>`` in the folder ``SAMENHIER_SECRETS_DIR`` (for example ``/run/secrets``
   of Docker or systemd's credentials), holding only the value — for passwords;
4. the default below.

Every setting has a safe default; the README's configuration table is generated from this class
(``tools/readme_tables.py``; ``tests/test_readme_docs.py`` fails when they drift). A value that does not
fit is refused with :class:`SettingsError`, naming the variable, the value and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from samenhier import CHECKOUT_ROOT

ENV_PREFIX = "SAMENHIER_"
SECRETS_DIR_VARIABLE = "SAMENHIER_SECRETS_DIR"
"""Folder of secret files (one file per setting, named like its variable); read only when set."""
DEFAULT_DATABASE_URL = "sqlite:///db/samenhier.db"


def env_files() -> tuple[Path, ...]:
    """The ``.env`` files read, lowest priority first: the project folder's (a checkout), then the current folder's."""
    files = [CHECKOUT_ROOT / ".env"] if CHECKOUT_ROOT is not None else []
    return (*files, Path.cwd() / ".env")


class SettingsError(ValueError):
    """A setting has a value that does not fit; the message names the variable, the value and what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", env_ignore_empty=True, env_file_encoding="utf-8"
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="the store, as an SQLAlchemy URL (relative SQLite paths are relative to the project folder, or to the current folder when installed); `--database-url` overrides it",
    )
    today: dt.date | None = Field(
        default=None,
        description="fix the *peildatum* (`YYYY-MM-DD`), for demos and tests",
        json_schema_extra={"readme_default": "today in Europe/Amsterdam"},
    )
    lang: Literal["nl", "en"] = Field(
        default="nl", description="language of command-line messages (`nl` or `en`); `--lang` overrides it"
    )
    inactive_after_days: int = Field(
        default=21, ge=1, description="an active group with no meeting for this many days needs attention"
    )
    eligibility_years: int = Field(
        default=3, ge=1, description="years in the Netherlands a newcomer stays eligible"
    )
    urgent_days_left: int = Field(
        default=90, ge=0, description="waiting newcomers with fewer days of eligibility left are urgent"
    )
    min_group_size: int = Field(default=3, ge=1, description="a group with fewer members gets a warning")
    max_group_size: int = Field(default=6, ge=1, description="a group with more members gets a warning")
    min_cell_size: int = Field(
        default=5, ge=1, description="figures about fewer people are not shown separately"
    )
    end_survey_grace_days: int = Field(
        default=30,
        ge=0,
        description="the eindmeting counts as due this many days after a group year ends (end surveys are dated up to a few weeks after the end)",
    )
    report_template: str | None = Field(
        default=None,
        description="the Word template of the year report (restyle a copy of the default in Word)",
        json_schema_extra={"readme_default": "`samenhier/reports/templates/jaarverslag.docx`"},
    )
    retention_months: int = Field(
        default=24,
        ge=1,
        description="personal data is kept this long after the last activity with a person, then anonymised (Privacy page or `retention --apply --yes`; rule in samenhier/queries/privacy.py)",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="failed logins for one name from one computer before that computer must wait (four times as many for any names)",
    )
    login_lock_minutes: int = Field(
        default=15,
        ge=1,
        description="the longest wait after repeated failed logins, in minutes; failures older than this are forgotten",
    )
    login_busy_seconds: float = Field(
        default=3.0,
        gt=0,
        description='how long a login waits for a busy store (a long import) before it says "Bezig, een moment"',
    )
    login_failure_delay_seconds: float = Field(
        default=1.0, ge=0, description="pause after a failed login (slows guessing)"
    )
    match_weight_language: float = Field(
        default=3.0,
        ge=0,
        description="match suggestions: weight of a language shared with the community builder",
    )
    match_weight_household: float = Field(
        default=2.0, ge=0, description="match suggestions: weight of group size against household size"
    )
    match_weight_urgency: float = Field(
        default=3.0, ge=0, description="match suggestions: weight of eligibility running out (urgent first)"
    )
    match_weight_waiting: float = Field(
        default=1.0, ge=0, description="match suggestions: weight of days waiting (newcomer and group)"
    )
    session_timeout_minutes: int = Field(
        default=30, ge=1, description="log out after this long without activity"
    )
    session_max_hours: int = Field(
        default=12, ge=1, description="a session ends this long after login, active or not"
    )
    backup_dir: str | None = Field(
        default=None,
        description="where backups go (relative to the project folder, or to the current folder when installed)",
        json_schema_extra={"readme_default": "`backups/` beside the database file (`db/backups`)"},
    )
    backup_keep: int = Field(
        default=14, ge=0, description="automatic daily backups to keep; 0 turns them off"
    )
    restore_max_mb: int = Field(
        default=200,
        ge=1,
        description="largest backup file a restore accepts (MB); a national store is well under it",
    )
    # Reminders by e-mail (python -m samenhier notify): the outgoing mail server and the dashboard's address.
    smtp_host: str | None = Field(
        default=None, description="outgoing mail server; without it `notify` sends nothing and exits 1"
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="port of the mail server (587: submission with STARTTLS)"
    )
    smtp_user: str | None = Field(default=None, description="login name at the mail server (none: no login)")
    smtp_password: SecretStr | None = Field(
        default=None, description="password at the mail server (never logged)"
    )
    smtp_starttls: bool = Field(
        default=True,
        description="switch to TLS before logging in and sending; a server without STARTTLS is refused, never used in clear text (`false` only for a server on the same machine)",
    )
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, description="give up on an unresponsive mail server after this long"
    )
    mail_from: str | None = Field(
        default=None,
        description="sender address of the digest",
        json_schema_extra={"readme_default": "the SMTP user, else `samenhier@<host>`"},
    )
    proposal_reminder_days: int = Field(
        default=14, ge=1, description="the coordinator's digest lists match proposals unanswered for longer"
    )
    app_url: str = Field(
        default="http://127.0.0.1:8501", description="the dashboard's address, for the links in e-mails"
    )


def _describe(error: dict) -> str:
    field = str(error["loc"][0]) if error.get("loc") else "?"
    variable = ENV_PREFIX + field.upper()
    value = "'…'" if "password" in field else repr(error.get("input"))  # a secret stays out of logs
    return f"{variable}={value}: {error['msg']}"


@lru_cache(maxsize=16)
def _settings_for(_environment: tuple[tuple[str, str], ...], _cwd: str) -> Settings:
    secrets = os.environ.get(SECRETS_DIR_VARIABLE, "").strip() or None
    try:
        return Settings(_env_file=env_files(), _secrets_dir=secrets)
    except ValidationError as exc:
        raise SettingsError("invalid setting: " + "; ".join(_describe(e) for e in exc.errors())) from None


def get_settings() -> Settings:
    """The settings in force: read again whenever a ``SAMENHIER_*`` variable or the current folder changed
    (tests and the benchmark set variables while running), else taken from a cache.

    Raises:
        SettingsError: a setting has a value that does not fit (e.g. ``SAMENHIER_TODAY=2025-13-01``), naming it.
    """
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX)))
    return _settings_for(environment, os.getcwd())


get_settings.cache_clear = _settings_for.cache_clear  # type: ignore[attr-defined]  (tests clear after changing .env files)
