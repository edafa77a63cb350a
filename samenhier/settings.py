"""Settings of the product, read from environment variables ``SAMENHIER_<NAME>`` (pydantic-settings).

Every setting has a safe default; the README's configuration table lists them all.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMENHIER_", extra="ignore")

    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the store")
    inactive_after_days: int = Field(default=21, ge=1, description="an active group with no meeting for this many days needs attention")
    eligibility_years: int = Field(default=3, ge=1, description="years in the Netherlands a newcomer stays eligible")
    urgent_days_left: int = Field(default=90, ge=0, description="waiting newcomers with fewer days of eligibility left are urgent")
    min_group_size: int = Field(default=3, ge=1, description="a group with fewer members gets a warning")
    max_group_size: int = Field(default=6, ge=1, description="a group with more members gets a warning")
    min_cell_size: int = Field(default=5, ge=1, description="aggregates over fewer people are suppressed")
    end_survey_grace_days: int = Field(default=30, ge=0, description="the eindmeting counts as due this many days after a group year ends (end surveys are dated up to a few weeks after the end)")
    report_template: str | None = Field(default=None, description="Word template of the year report (default samenhier/reports/templates/jaarverslag.docx)")
    retention_months: int = Field(default=24, ge=1, description="months after the last activity with a person that their data is kept (see samenhier.queries.privacy)")
    login_max_failures: int = Field(default=5, ge=1, description="failed logins for one name from one client before that client must wait (4x for any names)")
    login_lock_minutes: int = Field(default=15, ge=1, description="longest wait after repeated failed logins; failures older than this are forgotten")
    login_busy_seconds: float = Field(default=3.0, gt=0, description="how long a login waits for a busy store before it says 'busy, a moment please'")
    login_failure_delay_seconds: float = Field(default=1.0, ge=0, description="pause after a failed login (slows guessing)")
    match_weight_language: float = Field(default=3.0, ge=0, description="match suggestions: weight of a language shared with the community builder")
    match_weight_household: float = Field(default=2.0, ge=0, description="match suggestions: weight of group size against household size")
    match_weight_urgency: float = Field(default=3.0, ge=0, description="match suggestions: weight of eligibility running out (urgent first)")
    match_weight_waiting: float = Field(default=1.0, ge=0, description="match suggestions: weight of days waiting (newcomer and group)")
    session_timeout_minutes: int = Field(default=30, ge=1, description="log out after this long without activity")
    session_max_hours: int = Field(default=12, ge=1, description="a session ends this long after login, active or not")
    backup_dir: str | None = Field(default=None, description="folder for backups (default: backups/ beside the database file, db/backups)")
    backup_keep: int = Field(default=14, ge=0, description="automatic daily backups to keep; 0 turns them off")
    restore_max_mb: int = Field(default=200, ge=1, description="largest backup file a restore accepts (MB); a national store is well under it")
    # Reminders by e-mail (python -m samenhier notify): the outgoing mail server and the dashboard's address.
    smtp_host: str | None = Field(default=None, description="outgoing mail server; without it `notify` sends nothing and exits 1")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="port of the mail server (587: submission with STARTTLS)")
    smtp_user: str | None = Field(default=None, description="login name at the mail server (none: no login)")
    smtp_password: SecretStr | None = Field(default=None, description="password at the mail server (never logged)")
    smtp_starttls: bool = Field(default=True, description="switch the connection to TLS (STARTTLS) before logging in and sending")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, description="give up on an unresponsive mail server after this long")
    mail_from: str | None = Field(default=None, description="sender address of the digests (default: the SMTP user, else samenhier@<host>)")
    proposal_reminder_days: int = Field(default=14, ge=1, description="the coordinator's digest lists match proposals unanswered for longer")
    app_url: str = Field(default="http://127.0.0.1:8501", description="the dashboard's address, for the links in e-mails")


@cache
def get_settings() -> Settings:
    """The settings of this process (read once; tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
