"""Rules for the test suite itself, learnt from full runs that failed only in CI's order."""

from pathlib import Path

TESTS = Path(__file__).parent


def test_asgi_calls_run_on_a_loop_of_their_own():
    # The browser tests run first and leave Playwright's event loop running in the main thread; a plain
    # asyncio.run() in a later test then fails only in a full run (it did, twice). tests/asgi_loop.py is the way.
    offenders = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path.name not in ("asgi_loop.py", "test_suite_rules.py")
        and "asyncio.run(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
