"""``python -m samenhier bench`` keeps working (a fast run: demo scale, one page, one run) and writes its
report without losing the other scale's section. No timing is asserted: benchmarks are not tests."""

from __future__ import annotations

from cli_helpers import cli_env, run_cli

from samenhier.bench import BenchResult, PageResult, Payload, coordinator_pages, write_report


def test_bench_demo_prints_and_writes_the_table_for_one_page(tmp_path):
    report = tmp_path / "benchmarks.md"
    done = run_cli(
        "bench",
        "--scale",
        "demo",
        "--pages",
        "overview",
        "--runs",
        "1",
        "--import-rows",
        "0",
        "--no-browser",
        "--store",
        str(tmp_path / "demo.db"),
        "--output",
        str(report),
        env=cli_env(tmp_path / "unused.db"),
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    pages = [tuple(cell.strip() for cell in row.strip("|").split("|")[:2]) for row in rows]
    assert pages == [
        ("page", "role"),
        ("(blank)", "-"),
        ("overview", "coordinator"),
        ("overview", "community_builder"),
    ]
    assert "ERROR" not in done.stdout
    text = report.read_text(encoding="utf-8")
    assert "<!-- bench:demo:start -->" in text and "| overview | coordinator |" in text
    assert not (tmp_path / "unused.db").exists()  # the bench never opens the configured store


def test_bench_refuses_a_database_url(tmp_path):
    done = run_cli(
        "bench", "--database-url", f"sqlite:///{tmp_path / 'x.db'}", env=cli_env(tmp_path / "unused.db")
    )
    assert done.returncode == 2 and "--store" in done.stderr


def test_the_bench_runs_every_page_a_coordinator_has():
    # by hand: the twelve pages of the coordinator's navigation (README), in its order
    assert coordinator_pages() == [
        f"views/{name}.py"
        for name in (
            "overview",
            "group",
            "meetings",
            "matching",
            "surveys",
            "my_groups",
            "my_settings",
            "manage",
            "data",
            "year_report",
            "audit",
            "privacy",
        )
    ]


def _result(scale: str, cold: float) -> BenchResult:
    page = PageResult(
        page="views/overview.py",
        role="coordinator",
        cold_ms=cold,
        warm_ms=10.0,
        cold_runs=[cold],
        warm_runs=[10.0],
        cold_cpu_ms=cold / 2,
        warm_cpu_ms=5.0,
        peak_rss_mib=200.0,
        payload=Payload("dataframe", "100 × 9", 1000, 2000),
    )
    return BenchResult(
        scale=scale,
        runs=1,
        as_of="2026-11-15",
        started="2026-11-15T10:00",
        counts={"meeting": 1},
        build_seconds=None,
        machine={
            "cpus": "2",
            "cpu": "x",
            "ram": "1 GiB",
            "os": "linux",
            "python": "3.11",
            "sqlite": "3",
            **{
                name: "1"
                for name in (
                    "streamlit",
                    "pandas",
                    "numpy",
                    "SQLAlchemy",
                    "sqlmodel",
                    "plotly",
                    "pyarrow",
                    "scipy",
                )
            },
        },
        pages=[page],
    )


def test_report_keeps_the_other_scale_and_text_around_it_and_adds_the_ratio(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nNotes written by hand.\n", encoding="utf-8")
    write_report(_result("demo", 100.0), path)
    write_report(_result("national", 250.0), path)
    write_report(_result("demo", 50.0), path)  # a new demo run replaces the old demo section only
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nNotes written by hand.\n")
    assert text.count("<!-- bench:demo:start -->") == text.count("<!-- bench:national:start -->") == 1
    ratio = text[text.index("<!-- bench:ratio:start -->") :]
    # national 250 ms / demo 50 ms = 5.00; CPU 125 / 25 = 5.00
    assert "| overview | coordinator | 50 | 250 | 5.00 | 25 | 125 | 5.00 |" in ratio
