"""A server kept on an event loop of its own, in a thread, for as long as a fixture lasts.

The front door under test runs so: synchronous tests (Playwright's, schemathesis's) and async
ones alike can call it, and everything it holds (a Temporal client, a store's engine) stays on
the loop it was made on.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def served_in_a_thread(
    serve: Callable[[], AbstractAsyncContextManager[T]],
    *,
    what: str,
    start_seconds: float = 60,
    stop_seconds: float = 30,
) -> Iterator[T]:
    """Enter `serve()` on a new event loop in a daemon thread, give what it yields, and leave
    it (on its own loop) when the `with` block ends; a failure to start fails the fixture."""
    ready = threading.Event()
    held: list[T] = []
    failed: list[BaseException] = []
    stop: list[asyncio.Event] = []

    async def run() -> None:
        stop.append(asyncio.Event())
        try:
            async with serve() as value:
                held.append(value)
                ready.set()
                await stop[0].wait()
        except BaseException as exc:
            failed.append(exc)
            ready.set()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    assert ready.wait(start_seconds), f"{what} did not start within {start_seconds:.0f} s"
    assert not failed, failed
    try:
        yield held[0]
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(stop_seconds)
