"""The README and docs/ say what the code does (after datasette's test_docs.py): the generated tables are up to
date, every variable the product reads is documented, the architecture names every package, and the glossary
names only classes that exist."""

from __future__ import annotations

import re
import sys

import pytest

from samenhier import PROJECT_ROOT, models, settings

sys.path.insert(0, str(PROJECT_ROOT / "tools"))
import readme_tables  # noqa: E402

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_the_generated_tables_are_up_to_date():
    assert readme_tables.render(README) == README, (
        "run .venv/bin/python tools/readme_tables.py and commit README.md"
    )


def test_the_command_table_has_a_row_per_command():
    """Worked out by hand from the commands the README promises (not from the parser)."""
    table = _section("Command line")
    rows = re.findall(r"^\| `([a-z-]+)[ `]", table, re.M)
    assert rows == [
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


def test_the_configuration_table_has_a_row_per_setting():
    table = _section("Configuration")
    documented = re.findall(r"^\| `(SAMENHIER_[A-Z0-9_]+)`", table, re.M)
    assert len(documented) == len(set(documented))
    assert {f"SAMENHIER_{name.upper()}" for name in settings.Settings.model_fields} <= set(documented)
    # three settings that are easy to forget, by name
    assert {"SAMENHIER_DATABASE_URL", "SAMENHIER_TODAY", "SAMENHIER_LANG", "SAMENHIER_SECRETS_DIR"} <= set(
        documented
    )


def test_every_variable_the_code_reads_is_documented():
    """A ``SAMENHIER_X`` named anywhere in the product's or the tests' code is a row of the table (a prefix such
    as ``SAMENHIER_MATCH_WEIGHT_*`` or ``_SMTP`` counts when a documented variable starts with it)."""
    documented = set(re.findall(r"^\| `(SAMENHIER_[A-Z0-9_]+)`", _section("Configuration"), re.M))
    files = [
        *PROJECT_ROOT.joinpath("samenhier").rglob("*.py"),
        *PROJECT_ROOT.joinpath("tests").rglob("*.py"),
        PROJECT_ROOT / "app.py",
        PROJECT_ROOT / "serve.py",
    ]
    named = {
        m
        for f in files
        for m in re.findall(r"SAMENHIER_[A-Z][A-Z0-9_]*[A-Z0-9]", f.read_text(encoding="utf-8"))
    }
    undocumented = sorted(
        n for n in named if n not in documented and not any(d.startswith(n + "_") for d in documented)
    )
    assert undocumented == []


def test_the_architecture_names_every_package():
    table = _section("Architecture")
    packages = sorted(p.parent.name for p in PROJECT_ROOT.joinpath("samenhier").glob("*/__init__.py"))
    assert packages, "samenhier has subpackages"
    missing = [p for p in packages if f"`samenhier/{p}/`" not in table and f"`{p}/`" not in table]
    assert missing == []
    flow = table[table.index("```") : table.rindex("```")]  # the one-way flow, top to bottom
    layers = ["views/", "samenhier.ui", "services/", "models.py"]
    assert [flow.index(layer) for layer in layers] == sorted(flow.index(layer) for layer in layers)


@pytest.mark.parametrize("path", ["docs/glossary.md"])
def test_the_glossary_is_in_the_repository_and_names_real_classes(path):
    glossary = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    assert "welkomgroep" in glossary and "peildatum" in glossary
    names = set(re.findall(r"`([A-Z][A-Za-z]+)(?:\.[A-Z_]+)?`", glossary))
    assert {"WelcomeGroup", "Newcomer", "Match", "Meeting", "SurveyResponse"} <= names
    assert [n for n in sorted(names) if not hasattr(models, n)] == []
    assert "docs/glossary.md" in (models.__doc__ or "")
