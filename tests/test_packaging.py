"""``pip install .`` gets everything the dashboard needs: the wheel (built here with hatchling, offline) holds the
package, its data files and the Streamlit app that lives beside it in a checkout, and runs from where it is
unpacked, outside the checkout. (Installing into a fresh virtualenv and ``samenhier run`` were checked by hand;
see the README, "Without make".)"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from samenhier import PROJECT_ROOT

pytest.importorskip("hatchling", reason="hatchling (the build backend, in the dev extras) is not installed")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [built] = out.glob("samenhier-*.whl")
    return built


def test_the_wheel_holds_the_app_and_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    app = "samenhier/_app/"
    expected = {
        "samenhier/cli.py",
        "samenhier/static/favicon.png",
        "samenhier/reports/templates/jaarverslag.docx",
        "samenhier/locales/nl/LC_MESSAGES/messages.po",
        "samenhier/locales/en/LC_MESSAGES/messages.po",
        app + "app.py",
        app + "serve.py",
        app + ".streamlit/config.toml",
        app + "db/migrations/env.py",
        app + "db/migrations/script.py.mako",
    }
    # every page and every migration of the checkout (listed from the folders, not from the build settings)
    expected |= {app + "views/" + p.name for p in (PROJECT_ROOT / "views").glob("*.py")}
    expected |= {
        app + "db/migrations/versions/" + p.name
        for p in (PROJECT_ROOT / "db/migrations/versions").glob("*.py")
    }
    assert expected - names == set()
    assert not [
        n for n in names if n.startswith(("tests/", ".venv/")) or "__pycache__" in n or n.endswith(".pyc")
    ]


def test_the_wheel_declares_the_command_and_the_dependencies(wheel):
    archive = zipfile.ZipFile(wheel)
    info = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
    assert "samenhier = samenhier.cli:run_main" in archive.read(info).decode()
    metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = [
        line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")
    ]
    assert any(r.startswith("streamlit") and "extra" not in r for r in requires)
    assert any(r.startswith("alembic") and "extra" not in r for r in requires)
    assert any(
        r.startswith("pytest") and "extra == 'dev'" in r.replace('"', "'") for r in requires
    )  # tests: extras only


def test_unpacked_outside_the_checkout_it_finds_its_migrations_and_makes_the_store_where_it_runs(
    wheel, tmp_path
):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "kantoor"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENHIER_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import samenhier; print(samenhier.__file__, samenhier.PROJECT_ROOT, samenhier.CHECKOUT_ROOT)",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.split() == [
        str(site / "samenhier" / "__init__.py"),
        str(site / "samenhier" / "_app"),
        "None",
    ], where.stderr
    done = subprocess.run(
        [sys.executable, "-m", "samenhier", "init-db"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (
        work / "db" / "samenhier.db"
    ).is_file()  # relative to where it runs, not inside the installed package
    assert not (site / "samenhier" / "_app" / "db" / "samenhier.db").exists()
