"""Where settings come from (samenhier/settings.py): environment > .env > secret file > default, and a value that
does not fit is refused naming the variable."""

from __future__ import annotations

import datetime as dt

import pytest

from samenhier import settings
from samenhier.clock import today
from samenhier.db import database_url
from samenhier.settings import SettingsError, get_settings

REAL_ENV_FILES = settings.env_files
"""The real function (conftest replaces it for every test, so that a developer's .env does not change the tests)."""


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No SAMENHIER_* variable, working in an empty folder (its .env is the test's)."""
    import os

    for name in [n for n in os.environ if n.startswith("SAMENHIER_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "env_files", lambda: (tmp_path / ".env",))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_defaults(clean):
    got = get_settings()
    assert (got.inactive_after_days, got.lang, got.today, got.database_url) == (
        21,
        "nl",
        None,
        "sqlite:///db/samenhier.db",
    )


def test_a_dot_env_file_beats_the_default_and_the_environment_beats_it(clean, monkeypatch):
    (clean / ".env").write_text(
        "SAMENHIER_INACTIVE_AFTER_DAYS=30\nSAMENHIER_LANG=en\nSAMENHIER_TODAY=2026-03-02\n", encoding="utf-8"
    )
    got = get_settings()
    assert (got.inactive_after_days, got.lang) == (30, "en")
    assert today() == dt.date(2026, 3, 2)  # the clock takes the peildatum from the same place
    monkeypatch.setenv("SAMENHIER_INACTIVE_AFTER_DAYS", "14")
    monkeypatch.setenv("SAMENHIER_TODAY", "2026-04-01")
    got = get_settings()
    assert (got.inactive_after_days, got.lang) == (14, "en")
    assert today() == dt.date(2026, 4, 1)


def test_the_database_url_comes_from_the_settings(clean, monkeypatch):
    store = clean / "elders.db"
    (clean / ".env").write_text(f"SAMENHIER_DATABASE_URL=sqlite:///{store}\n", encoding="utf-8")
    assert database_url() == f"sqlite:///{store}"
    assert (
        database_url(f"sqlite:///{clean / 'optie.db'}") == f"sqlite:///{clean / 'optie.db'}"
    )  # --database-url wins


def test_a_secret_file_beats_the_default_and_loses_to_dot_env(clean, monkeypatch):
    secrets = clean / "secrets"
    secrets.mkdir()
    (secrets / "SAMENHIER_SMTP_PASSWORD").write_text("geheim-uit-bestand", encoding="utf-8")
    (secrets / "SAMENHIER_SMTP_PORT").write_text("2525", encoding="utf-8")
    monkeypatch.setenv("SAMENHIER_SECRETS_DIR", str(secrets))
    got = get_settings()
    assert got.smtp_password.get_secret_value() == "geheim-uit-bestand"
    assert got.smtp_port == 2525
    (clean / ".env").write_text("SAMENHIER_SMTP_PORT=465\n", encoding="utf-8")
    get_settings.cache_clear()  # a changed .env file is read at the next start (here: a cleared cache)
    assert get_settings().smtp_port == 465


def test_an_empty_variable_counts_as_unset(clean, monkeypatch):
    monkeypatch.setenv("SAMENHIER_TODAY", "")
    monkeypatch.setenv("SAMENHIER_MIN_GROUP_SIZE", "")
    assert (get_settings().today, get_settings().min_group_size) == (None, 3)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SAMENHIER_TODAY", "2025-13-01", "month"),
        ("SAMENHIER_LANG", "de", "'nl' or 'en'"),
        ("SAMENHIER_MIN_GROUP_SIZE", "drie", "integer"),
        ("SAMENHIER_SMTP_PORT", "70000", "less than or equal to 65535"),
        ("SAMENHIER_SMTP_STARTTLS", "misschien", "boolean"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_and_the_value(clean, monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        get_settings()
    message = str(refused.value)
    assert f"{variable}={value!r}" in message and says in message


def test_a_bad_value_in_dot_env_is_named_too(clean):
    (clean / ".env").write_text("SAMENHIER_BACKUP_KEEP=-1\n", encoding="utf-8")
    with pytest.raises(
        SettingsError, match=r"SAMENHIER_BACKUP_KEEP='-1': Input should be greater than or equal to 0"
    ):
        get_settings()


def test_the_cli_says_which_setting_is_wrong(clean, monkeypatch, capsys):
    from samenhier.cli import main

    monkeypatch.setenv("SAMENHIER_MIN_CELL_SIZE", "0")
    assert main(["init-db", "--database-url", f"sqlite:///{clean / 's.db'}"]) == 2
    assert "SAMENHIER_MIN_CELL_SIZE='0'" in capsys.readouterr().err
    assert not (clean / "s.db").exists()


def test_the_env_files_are_the_checkouts_then_the_current_folders(clean):
    from samenhier import PROJECT_ROOT

    assert REAL_ENV_FILES() == (PROJECT_ROOT / ".env", clean / ".env")  # the later file wins
