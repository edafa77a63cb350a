"""What the benchmark measured: the figures of one page and of one run, and the goals they are held to."""

from __future__ import annotations

from dataclasses import dataclass, field

from samenhier import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs" / "benchmarks.md"
IMPORT_ROWS = 50_000
LIBRARIES = ("streamlit", "pandas", "numpy", "SQLAlchemy", "sqlmodel", "plotly", "pyarrow", "scipy")
GOALS = {"warm_ms": 150, "cold_ms": 1500, "ratio": 3.0, "import_s": 30, "rss_mib": 1024, "login_ms": 2000}
"""The issue's goals (national scale, 2-core machine): shown beside the figures, never asserted."""


@dataclass
class Payload:
    """The largest element a page sends: its kind, its size (``rows × cols`` or ``points``) and protobuf bytes."""

    kind: str = ""
    shape: str = ""
    bytes: int = 0
    total_bytes: int = 0


@dataclass
class PageResult:
    """One page's figures. Times in milliseconds, memory in MiB; ``error`` is set when the page failed."""

    page: str
    role: str
    state: str = ""
    cold_ms: float | None = None
    warm_ms: float | None = None
    cold_runs: list[float] = field(default_factory=list)
    warm_runs: list[float] = field(default_factory=list)
    cold_cpu_ms: float | None = None
    warm_cpu_ms: float | None = None
    peak_rss_mib: float | None = None
    payload: Payload = field(default_factory=Payload)
    error: str = ""
    title: str = ""
    browser_first_ms: float | None = None
    browser_again_ms: float | None = None
    load: str = ""
    """The machine's 1-minute load average when the page was timed."""


@dataclass
class BenchResult:
    scale: str
    runs: int
    as_of: str
    started: str
    counts: dict[str, int]
    build_seconds: float | None
    machine: dict[str, str]
    pages: list[PageResult]
    import_seconds: float | None = None
    import_rows: int = 0
    import_method: str = ""
    import_peak_rss_mib: float | None = None
    process_peak_rss_mib: float | None = None
    load_before: str = ""
    load_after: str = ""
    seconds: float = 0.0
    login_settled_ms: float | None = None
    browser_note: str = ""
    browser_load: str = ""
    """Load average (1, 5, 15 min) when the browser timing started."""
