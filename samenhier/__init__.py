"""Samen Hier dashboard: the domain package (store, import, queries, services, charts, i18n)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository root: ``app.py``, ``db/``, ``views/`` live here."""
