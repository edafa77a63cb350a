"""Run an ASGI call (a coroutine) to the end from a test, whatever else the test process is doing."""

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any


def run_in_own_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run(coroutine)`` on a thread of its own: in a full run the browser tests' Playwright keeps an
    event loop running in the test process's main thread, where ``asyncio.run`` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
