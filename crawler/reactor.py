"""The one long-lived asyncio reactor that every crawl in a process runs on.

Twisted's reactor cannot be restarted, so newsmon installs the asyncio reactor once and keeps it
running: the daemon runs it on the main thread; synchronous callers (the CLI, tests) use
:class:`ReactorThread`, which runs it in a background thread and submits coroutines to its loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from scrapy.utils.reactor import install_reactor

from crawler.scrapy_settings import ASYNCIO_REACTOR

T = TypeVar("T")


def install_asyncio_reactor() -> asyncio.AbstractEventLoop:
    """Install Twisted's asyncio reactor (idempotent) and return the event loop it drives."""
    install_reactor(ASYNCIO_REACTOR)
    from twisted.internet import reactor

    loop: asyncio.AbstractEventLoop = reactor._asyncioEventloop
    return loop


_shared: ReactorThread | None = None
_shared_lock = threading.Lock()


def shared_reactor() -> ReactorThread:
    """The process's reactor thread, started on first use and never stopped (it is a daemon
    thread and ends with the process), so any number of callers can crawl in one process."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ReactorThread().start()
        return _shared


class ReactorThread:
    """Runs the asyncio reactor in a daemon thread; ``run`` executes coroutines on it."""

    def __init__(self) -> None:
        self._loop = install_asyncio_reactor()
        self._thread: threading.Thread | None = None

    def start(self) -> ReactorThread:
        """Start the reactor thread (once)."""
        from twisted.internet import reactor as installed

        reactor: Any = installed
        if self._thread is None:
            self._thread = threading.Thread(
                target=reactor.run, kwargs={"installSignalHandlers": False},
                name="newsmon-reactor", daemon=True,
            )
            self._thread.start()
        return self

    def run(self, make_coroutine: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
        """Run ``make_coroutine()`` on the reactor's loop and wait for its result."""
        async def runner() -> T:
            return await make_coroutine()

        future = asyncio.run_coroutine_threadsafe(runner(), self._loop)
        return future.result(timeout)

    def stop(self) -> None:
        """Stop the reactor; it cannot be started again in this process."""
        from twisted.internet import reactor as installed

        reactor: Any = installed
        if self._thread is not None and self._thread.is_alive():
            reactor.callFromThread(reactor.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> ReactorThread:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
