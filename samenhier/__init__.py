"""Samen Hier dashboard: the domain package (store, import, queries, services, charts, i18n).

It runs from a checkout of the repository (``make run``) or installed (``pip install .``, then ``samenhier
run``). Installed, the files of the Streamlit app that live beside the package in a checkout (``app.py``,
``serve.py``, ``views/``, ``db/migrations/``, ``.streamlit/``) are shipped inside it, in ``samenhier/_app/``
(see ``[tool.hatch.build]`` in pyproject.toml).
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""This package's folder (``locales/``, ``static/``, ``reports/templates/`` live here)."""


def _checkout_root() -> Path | None:
    root = PACKAGE_DIR.parent
    return root if (root / "app.py").is_file() and (root / "db" / "migrations").is_dir() else None


CHECKOUT_ROOT = _checkout_root()
"""The repository root when running from a checkout (an editable install counts), else None (installed)."""

PROJECT_ROOT = CHECKOUT_ROOT if CHECKOUT_ROOT is not None else PACKAGE_DIR / "_app"
"""Where ``app.py``, ``serve.py``, ``db/migrations/`` and ``views/`` live: the repository root in a checkout,
``samenhier/_app`` when installed."""


def data_root() -> Path:
    """The folder relative paths in settings are taken from (the SQLite file, the backup folder): the
    repository root in a checkout, else the current working folder (where ``samenhier run`` was started)."""
    return CHECKOUT_ROOT if CHECKOUT_ROOT is not None else Path.cwd()
