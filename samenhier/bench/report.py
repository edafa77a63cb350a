"""The benchmark's Markdown: one section per scale in docs/benchmarks.md, and the national / demo ratios."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

from samenhier.bench.results import GOALS, LIBRARIES, BenchResult


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def page_name(page: str) -> str:
    return Path(page).stem if page.endswith(".py") else page


def render(result: BenchResult) -> str:
    """The Markdown section of one benchmark run: setting, the table per page, import and memory."""
    m = result.machine
    lines = [
        f"### Scale `{result.scale}`",
        "",
        f"- date {result.started}; peildatum {result.as_of}; {result.runs} runs per median; whole run {result.seconds:,.0f} s",
        f"- machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}",
        f"- load average (1, 5, 15 min) before: {result.load_before}; after: {result.load_after}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, "
        + ", ".join(f"{name} {m[name]}" for name in LIBRARIES),
        "- store: "
        + ", ".join(f"{t} {n:,}" for t, n in result.counts.items())
        + ("" if result.build_seconds is None else f"; generated in {result.build_seconds:,.1f} s"),
        "",
        "| page | role | load 1 min | cold median ms | warm median ms | cold CPU ms | warm CPU ms | browser first visit ms | browser again ms "
        "| cold runs ms | warm runs ms | peak RSS MiB | largest payload | page bytes |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|--:|---|--:|",
    ]
    for p in result.pages:
        payload = f"{p.payload.kind} {p.payload.shape}, {p.payload.bytes:,} B" if p.payload.kind else "–"
        if p.error:
            payload = f"ERROR: {p.error}"
        lines.append(
            f"| {page_name(p.page)}{f' · {p.state}' if p.state else ''} | {p.role} | {p.load or '?'} | {_ms(p.cold_ms)} | {_ms(p.warm_ms)} | "
            f"{_ms(p.cold_cpu_ms)} | {_ms(p.warm_cpu_ms)} | {_ms(p.browser_first_ms)} | {_ms(p.browser_again_ms)} | "
            f"{' '.join(_ms(x) for x in p.cold_runs)} | {' '.join(_ms(x) for x in p.warm_runs)} | "
            f"{'–' if p.peak_rss_mib is None else f'{p.peak_rss_mib:,.0f}'} | {payload} | {p.payload.total_bytes:,} |"
        )
    lines.append("")
    if result.login_settled_ms is not None:
        lines.append(
            f"- in the browser (Chromium, 1440 × 900, `streamlit run` on this store): from clicking *Inloggen* to the "
            f"first page settled **{result.login_settled_ms:,.0f} ms** (goal ≤ {GOALS['login_ms']:,} ms; load average "
            f"{result.browser_load or '?'} at the start); per page the "
            "first visit after login (server caches cold) and the second (warm), click to settled"
        )
    elif result.browser_note:
        lines.append(f"- {result.browser_note}")
    if result.import_seconds is not None:
        lines.append(
            f"- import of a {result.import_method}: **{result.import_seconds:,.1f} s** (goal ≤ {GOALS['import_s']} s); "
            f"peak RSS during the import {_ms(result.import_peak_rss_mib)} MiB"
        )
    if result.process_peak_rss_mib is not None:
        lines.append(
            f"- peak RSS of the benchmark process over all pages (the app's server process does the same work): "
            f"**{result.process_peak_rss_mib:,.0f} MiB** (goal ≤ {GOALS['rss_mib']:,} MiB)"
        )
    lines.append("")
    return "\n".join(lines)


def render_ratios(demo: dict, national: dict) -> str:
    """National cold / demo cold per page (goal ≤ 3), wall clock and CPU, from the two sections' saved results."""
    lines = [
        "### National cold / demo cold",
        "",
        f"demo measured {demo['started']}, national {national['started']}.",
        "",
        "| page | role | demo cold ms | national cold ms | ratio | demo cold CPU ms | national cold CPU ms | CPU ratio |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    demo_pages = {(p["page"], p["role"], p.get("state", "")): p for p in demo["pages"]}

    def ratio(a, b) -> str:
        return f"{a / b:.2f}" if a is not None and b else "–"

    for p in national["pages"]:
        d = demo_pages.get((p["page"], p["role"], p.get("state", "")))
        if not d or d.get("cold_ms") is None or p.get("cold_ms") is None:
            continue
        name = page_name(p["page"]) + (f" · {p['state']}" if p.get("state") else "")
        lines.append(
            f"| {name} | {p['role']} | {_ms(d['cold_ms'])} | {_ms(p['cold_ms'])} | "
            f"{ratio(p['cold_ms'], d['cold_ms'])} | {_ms(d.get('cold_cpu_ms'))} | {_ms(p.get('cold_cpu_ms'))} | "
            f"{ratio(p.get('cold_cpu_ms'), d.get('cold_cpu_ms'))} |"
        )
    lines.append("")
    return "\n".join(lines)


HEADER = """# Benchmarks

Written by `python -m samenhier bench [--scale demo|national]` (see `samenhier/bench/` for what is
measured and how). Times are server-side: one full run of the app script with the page, as
Streamlit's AppTest runs it; *cold* right after the caches were cleared, *warm* with them filled.
Goals at national scale on a 2-core machine: warm ≤ 150 ms, cold ≤ 1.5 s, national cold / demo cold
≤ 3, import of 50,000 meetings ≤ 30 s, peak RSS ≤ 1 GiB, first page after login settled in the browser
≤ 2 s. The browser columns are click-to-settled times in Chromium against `streamlit run` on the same
store. The machine may be shared: see the load average.
"""


def _section(scale: str) -> tuple[str, str]:
    return f"<!-- bench:{scale}:start -->", f"<!-- bench:{scale}:end -->"


def _saved(text: str, scale: str) -> dict | None:
    start, end = _section(scale)
    match = re.search(re.escape(start) + r"\n<!-- data (.*?) -->", text, re.S)
    return json.loads(match.group(1)) if match and end in text else None


def write_report(result: BenchResult, path: Path) -> None:
    """Put ``result``'s section into ``path`` (replacing the same scale's section, keeping the rest) and
    refresh the ratio section when both scales are there."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    data = json.dumps(asdict(result), ensure_ascii=False).replace("--", "- -")
    for scale, body in ((result.scale, f"<!-- data {data} -->\n{render(result)}"),):
        start, end = _section(scale)
        block = f"{start}\n{body}{end}"
        if start in text and end in text:
            text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m, b=block: b, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    demo, national = _saved(text, "demo"), _saved(text, "national")
    if demo and national:
        start, end = _section("ratio")
        block = f"{start}\n{render_ratios(demo, national)}{end}"
        if start in text:
            text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
