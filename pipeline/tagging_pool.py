"""Tagging on worker processes, so the statistical NER uses every core.

Where it sits in the flow: between :func:`pipeline.tagging.tag_pending`, which asks a
``TextTagger`` for the tags of a batch of stored articles, and :class:`pipeline.nlp.tagger.Tagger`,
which runs spaCy. spaCy's NER holds the GIL for most of its work, so threads cannot spread it
over cores; :class:`TaggerPool` runs ``processes`` worker processes instead (spawned, so they
inherit no threads, sockets or database connections), each building its own ``Tagger`` once
from the catalog and settings it is handed, and splits each batch between them. The results are
the same ``TagResult`` values the in-process tagger returns (a test compares them).

Failures, so that one bad article never stops a batch or the daemon:

- the tagger raising on a text comes back as that exception (``tag_pending`` then tags the batch
  one text at a time and records the one that fails);
- a worker dying (killed, out of memory, a crash in native code) breaks the whole pool: the pool
  is replaced by a fresh one and the call raises :class:`WorkerDiedError`, so the batch is
  retried one text at a time and only a text that kills a worker on its own is refused;
- a worker that cannot build its tagger (a missing NER package) makes every call raise
  :class:`WorkerStartError` with the worker's message; it is a ``TaggerUnavailableError``, so
  ``tag_pending`` stops with every article still waiting rather than refusing them.

Workers ignore SIGINT and SIGTERM (a terminal's Ctrl-C and systemd's stop signal reach the whole
process group): the daemon finishes or abandons the current batch itself, then :meth:`close`
stops them; a call the closing cuts short raises :class:`PoolClosedError` (a
``TaggerUnavailableError``: its articles stay waiting, none is refused). A worker whose parent
dies (SIGKILL, a crash) notices within a second and exits.

Each worker reports its process id once, first thing in its initializer, on a queue of its
executor; :meth:`TaggerPool.worker_pids` keeps the reported ids that are still among this
process's live children (``multiprocessing.active_children``), so it needs nothing private of
``ProcessPoolExecutor`` and never counts another pool's workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import accumulate, pairwise
from multiprocessing.queues import SimpleQueue
from typing import TYPE_CHECKING, Any, TypeVar

from config.catalog import Catalog
from config.settings import NlpSettings
from pipeline.nlp.types import TagResult
from pipeline.tagging import TaggerUnavailableError

if TYPE_CHECKING:
    from pipeline.nlp.tagger import Tagger

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
_START_ROUNDS = 20


class WorkerDiedError(RuntimeError):
    """A tagging worker process ended while it worked on the call's texts."""


class PoolClosedError(TaggerUnavailableError):
    """The pool was closed (the daemon is stopping): the texts were not tagged, through no fault
    of theirs, so they stay waiting."""


class WorkerStartError(TaggerUnavailableError):
    """A tagging worker process could not build its tagger (the message says why)."""


class TaggerPool:
    """A ``TextTagger`` whose ``tag_many`` runs on ``processes`` worker processes."""

    def __init__(self, catalog: Catalog, settings: NlpSettings, processes: int) -> None:
        if processes < 1:
            raise ValueError("a tagging pool needs at least one process")
        self.processes = processes
        self._catalog = catalog
        self._settings = settings
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._pid_reports: SimpleQueue[int] | None = None
        """Where the current executor's workers report their process ids (one each)."""
        self._reported_pids: set[int] = set()
        self._closed = False
        self.restarts = 0
        """How many times a dead worker made the pool start again."""

    def start(self) -> None:
        """Start the workers and build their taggers now, rather than on the first batch;
        raises :class:`WorkerStartError` when a worker cannot build its tagger. (A worker takes
        tasks once its tagger is built, so the first one ready may answer for the others: the
        rounds go on, a few at most, until every worker has answered.)"""
        answered: set[int] = set()
        for _ in range(_START_ROUNDS):
            answered.update(self._run(_worker_ready, [() for _ in range(self.processes)]))
            if len(answered) >= self.processes:
                return

    def tag(self, text: str) -> TagResult:
        """Everything found in one text (on one worker)."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[TagResult]:
        """Everything found in each text, in order; the texts are split between the workers
        in contiguous runs of about equal length."""
        if not texts:
            return []
        runs = split_evenly(texts, self.processes)
        parts = self._run(_tag_texts, [(list(run),) for run in runs])
        return [result for part in parts for result in part]

    def worker_pids(self) -> list[int]:
        """The process ids of the running workers (for monitoring their memory): those the
        current executor's workers reported that are still alive. A worker is listed once its
        initializer has begun (within a moment of being spawned), until it ends."""
        with self._lock:
            self._reported_pids |= _drained(self._pid_reports)
            alive = {child.pid for child in multiprocessing.active_children()}
            self._reported_pids &= alive
            return sorted(self._reported_pids)

    def close(self) -> None:
        """Stop the workers (a batch in progress finishes first); the pool cannot be used again."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
            self._forget_workers()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> TaggerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _current_executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise PoolClosedError("the tagging pool is closed")
            if self._executor is None:
                context = multiprocessing.get_context("spawn")
                self._pid_reports = context.SimpleQueue()
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(self._catalog, self._settings, self._pid_reports),
                )
            return self._executor

    def _forget_workers(self) -> None:
        """Drop the reports of the executor just let go (call with the lock held). The queue is
        not closed here: the executor may still be spawning a worker that carries it."""
        self._pid_reports = None
        self._reported_pids = set()

    def _run(self, task: Callable[..., _T], calls: list[tuple[Any, ...]]) -> list[_T]:
        """``task(*args)`` for each call, spread over the workers; the results in order. A
        broken pool (a worker died, now or since the last call) is replaced and reported."""
        executor = self._current_executor()
        try:
            futures = [executor.submit(task, *args) for args in calls]
            return [future.result() for future in futures]
        except CancelledError as error:  # close() while the call waited for a worker
            raise PoolClosedError("the tagging pool was closed before the texts were tagged") \
                from error
        except BrokenProcessPool as error:
            if self._closed:
                raise PoolClosedError("the tagging pool was closed") from error
            self._replace_broken(executor)
            raise WorkerDiedError(
                "a tagging worker process died (killed, out of memory or crashed); "
                "the pool was started again"
            ) from error

    def _replace_broken(self, broken: ProcessPoolExecutor) -> None:
        """Drop the broken executor (the next call starts a fresh one) and kill its surviving
        workers; a call that saw the same breakage later, from another thread, does not drop
        its replacement.

        A broken executor stops its other workers with SIGTERM, which workers ignore (so that
        a stop signal to the daemon's whole process group cannot break a batch): left alone,
        each survivor lived on outside any pool, holding its pipeline's memory, and the
        executor's thread waited for it forever, which hung the process at exit. Survivors are
        known by the process ids they reported (a worker reports before it takes any task)."""
        with self._lock:
            if self._executor is not broken:
                return
            reports = self._pid_reports
            survivors = self._reported_pids | _drained(reports)
            self._executor = None
            self._forget_workers()
            self.restarts += 1
        broken.shutdown(wait=False, cancel_futures=True)
        survivors |= _drained(reports)  # one still starting when the pool broke
        for child in multiprocessing.active_children():  # never a pid reused by another process
            if child.pid in survivors:
                child.kill()
        logger.error("a tagging worker process died; starting the tagging pool again")


def _drained(reports: SimpleQueue[int] | None) -> set[int]:
    """The process ids waiting in a pool's report queue, taken out."""
    found: set[int] = set()
    while reports is not None and not reports.empty():
        found.add(reports.get())
    return found


def split_evenly(texts: Sequence[str], parts: int) -> list[Sequence[str]]:
    """Cut ``texts`` into at most ``parts`` contiguous, non-empty runs of about equal total
    length (the work of tagging grows with the length): each cut falls where the length so far
    is nearest an equal share."""
    parts = min(parts, len(texts))
    if parts <= 1:
        return [texts]
    ends = list(accumulate(len(text) + 1 for text in texts))
    cuts = [0]
    for part in range(1, parts):
        share = ends[-1] * part / parts
        lowest, highest = cuts[-1] + 1, len(texts) - (parts - part)
        cut = min(range(lowest, highest + 1), key=lambda at: abs(ends[at - 1] - share))
        cuts.append(cut)
    cuts.append(len(texts))
    return [texts[start:end] for start, end in pairwise(cuts)]


# --- the worker side (module level: a spawned process imports this module) ----------------------

_worker_tagger: Tagger | None = None
_worker_error: str | None = None


def _start_worker(catalog: Catalog, settings: NlpSettings, pid_reports: SimpleQueue[int]) -> None:
    """Report this worker's process id, then build its tagger once; keep the error to report
    with each task if that fails."""
    global _worker_tagger, _worker_error
    pid_reports.put(os.getpid())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _exit_with_parent(os.getppid())
    try:
        from pipeline.nlp.tagger import Tagger

        _worker_tagger = Tagger.build(catalog, settings)
    except Exception as error:  # reported to the parent with every task, never lost
        _worker_error = f"{type(error).__name__}: {error}"


def _exit_with_parent(parent: int, every_seconds: float = 1.0) -> None:
    """End this worker soon after its parent process is gone (killed with SIGKILL, crashed):
    the task pipe never closes (the worker holds both of its ends) and SIGTERM is ignored, so
    without this an orphaned worker would wait forever, holding its pipeline's memory."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_seconds)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _ready_tagger() -> Tagger:
    if _worker_tagger is None:
        raise WorkerStartError(
            f"the tagging worker could not build its tagger: {_worker_error or 'not started'}"
        )
    return _worker_tagger


def _worker_ready() -> int:
    """This worker's process id, once its tagger is built (held briefly, so that the other
    tasks of a round go to the other workers)."""
    _ready_tagger()
    time.sleep(0.05)
    return os.getpid()


def _tag_texts(texts: list[str]) -> list[TagResult]:
    return _ready_tagger().tag_many(texts)
