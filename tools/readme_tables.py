"""The README's command table and configuration table, generated from the code that defines them.

The command table comes from the command line's parser (:func:`samenhier.cli.build_parser`: each command's
options and description), the configuration table from :class:`samenhier.settings.Settings` (each field's
variable, default and description) plus the few variables that only the tests read. Each table sits between
``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->`` in README.md.

    .venv/bin/python tools/readme_tables.py          # rewrite the tables in README.md
    .venv/bin/python tools/readme_tables.py --check  # exit 1 when README.md differs (tests/test_readme_docs.py)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from samenhier import cli, settings  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
COMMON_OPTIONS = {"-h", "--help", "--database-url", "--lang"}
"""Options every command has; the text above the table explains them once."""
TEST_ONLY = (
    ("SAMENHIER_CHROMIUM", "`/usr/bin/chromium`", "tests only: the browser of the browser tests"),
    ("SAMENHIER_PG_BINDIR", "newest `/usr/lib/postgresql/*/bin`", "tests only: the PostgreSQL programs"),
    (
        "SAMENHIER_SHARED_DATA",
        "`../shared/data`",
        "tests only: the folder with the coordinator's original files "
        "beside the project (a test that needs it is skipped, saying so, when it is missing)",
    ),
)
"""Variables read by the tests, not by the product (so not in Settings)."""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option(action: argparse.Action) -> str:
    if action.option_strings:
        name = max(action.option_strings, key=len)
        if action.nargs == 0:
            text = name
        else:
            value = action.metavar or (
                "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper()
            )
            text = f"{name} {value}" + (f" [{value} …]" if action.nargs in ("+", "*") else "")
        return text if action.required else f"[{text}]"
    value = action.metavar or action.dest.upper()
    return f"{value} [{value} …]" if action.nargs == "+" else value


def commands_table() -> str:
    """One row per command, in the parser's order: the command with its own options, and its description."""
    parser = cli.build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    rows = ["| command | what it does |", "|---|---|"]
    for name, command in sub.choices.items():
        options = [_option(a) for a in command._actions if not set(a.option_strings) & COMMON_OPTIONS]
        rows.append(f"| `{_cell(' '.join([name, *options]))}` | {_cell(command.description or '')} |")
    return "\n".join(rows)


def _default(field) -> str:
    extra = field.json_schema_extra or {}
    if "readme_default" in extra:
        return extra["readme_default"]
    value = field.default
    if value is None:
        return "–"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def settings_table() -> str:
    """One row per setting of :class:`~samenhier.settings.Settings`, then the secrets folder and the tests' own."""
    rows = ["| environment variable | default | meaning |", "|---|---|---|"]
    for name, field in settings.Settings.model_fields.items():
        rows.append(
            f"| `{settings.ENV_PREFIX}{name.upper()}` | {_cell(_default(field))} | {_cell(field.description or '')} |"
        )
    rows.append(
        f"| `{settings.SECRETS_DIR_VARIABLE}` | – | a folder with one file per secret setting, named like its "
        "variable and holding only the value (e.g. `/run/secrets/SAMENHIER_SMTP_PASSWORD`) |"
    )
    rows += [f"| `{name}` | {default} | {_cell(meaning)} |" for name, default, meaning in TEST_ONLY]
    return "\n".join(rows)


TABLES = {"commands": commands_table, "settings": settings_table}


def render(readme: str) -> str:
    """``readme`` with every generated table replaced by its current content.

    Raises:
        ValueError: a table's markers are missing from ``readme``.
    """
    for name, build in TABLES.items():
        pattern = re.compile(
            rf"(<!-- generated: {name} -->\n)(?:.*?\n)?(<!-- end generated: {name} -->)", re.S
        )
        if not pattern.search(readme):
            raise ValueError(
                f"README.md has no <!-- generated: {name} --> … <!-- end generated: {name} --> block"
            )
        table = build()
        readme = pattern.sub(lambda m, table=table: m.group(1) + table + "\n" + m.group(2), readme)
    return readme


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    if "--check" in argv:
        if wanted != current:
            print(
                "README.md's generated tables are out of date: run .venv/bin/python tools/readme_tables.py",
                file=sys.stderr,
            )
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
