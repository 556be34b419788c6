"""Tagging on worker processes: same results as in-process, nothing lost when a worker dies.

Real worker processes running the real tagger (rules-only where the NER adds nothing to what is
tested, since each worker loads its own pipeline); workers are killed with real signals.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.catalog import Catalog, load_catalog
from config.settings import NlpSettings
from pipeline.nlp.tagger import Tagger
from pipeline.storage import Storage
from pipeline.tagging import tag_pending
from pipeline.tagging_pool import (
    PoolClosedError,
    TaggerPool,
    WorkerDiedError,
    WorkerStartError,
    split_evenly,
)
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RULES_ONLY = NlpSettings(ner_model="")
TEXTS = [
    "Meta unveiled Muse Spark, its new reasoning model; Meta's stock rose 3% on the news.",
    "Shares of Nvidia fell 17% after DeepSeek released R1.",
    "",
    "Claude Monet painted water lilies at Giverny.",
    "Alphabet (NASDAQ: GOOGL) climbed 4% in premarket trading after Gemini 2.5 Pro shipped.",
    "Nothing here mentions any company at all.",
    "OpenAI and Anthropic both cut prices; Microsoft lost $200 billion in market value.",
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def pool(catalog: Catalog) -> Iterator[TaggerPool]:
    with TaggerPool(catalog, RULES_ONLY, processes=2) as started:
        started.start()
        yield started


def workers() -> list[multiprocessing.process.BaseProcess]:
    return [child for child in multiprocessing.active_children() if child.is_alive()]


def wait_until_dead(pid: int) -> None:
    for _ in range(200):
        if all(child.pid != pid for child in workers()):
            return
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} still alive")


# --- splitting a batch between workers ----------------------------------------------------------


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 20])
def test_a_batch_is_split_into_contiguous_runs_that_keep_every_text_in_order(parts: int) -> None:
    texts = [f"text {i} " + "x" * (i * 37 % 500) for i in range(13)]
    runs = split_evenly(texts, parts)
    assert [text for run in runs for text in run] == texts
    assert all(runs) and len(runs) <= min(parts, len(texts))


def test_runs_are_balanced_by_length_not_by_count() -> None:
    texts = ["a" * 9000, *["b" * 1000] * 9]
    first, second = split_evenly(texts, 2)
    assert list(first) == ["a" * 9000]
    assert len(second) == 9


def test_every_worker_gets_a_text_when_there_are_enough() -> None:
    texts = ["a" * 10_000, "b", "c"]
    assert [len(run) for run in split_evenly(texts, 3)] == [1, 1, 1]


# --- results ------------------------------------------------------------------------------------


def test_the_pool_returns_what_the_in_process_tagger_returns(
    pool: TaggerPool, catalog: Catalog, shared_data: Path
) -> None:
    seed = (shared_data.parent / "seed" / "muse-spark-article.txt").read_text(encoding="utf-8")
    texts = [*TEXTS, seed, *TEXTS]
    expected = Tagger.build(catalog, RULES_ONLY).tag_many(texts)
    assert pool.tag_many(texts) == expected
    assert pool.tag(seed) == expected[len(TEXTS)]
    assert any(m.canonical == "Muse Spark" for m in expected[0].entities)


def test_the_pool_with_the_statistical_ner_matches_the_in_process_tagger(
    catalog: Catalog,
) -> None:
    settings = NlpSettings()
    expected = Tagger.build(catalog, settings).tag_many(TEXTS)
    with TaggerPool(catalog, settings, processes=2) as with_ner:
        assert with_ner.tag_many(TEXTS) == expected


def test_an_empty_batch_starts_no_work(pool: TaggerPool) -> None:
    assert pool.tag_many([]) == []


# --- failures -----------------------------------------------------------------------------------


def test_a_worker_killed_between_batches_is_replaced_and_reported(pool: TaggerPool) -> None:
    """The other workers of the broken pool are stopped too: they ignore the SIGTERM a broken
    executor sends, and one left alive hung the process at exit (and held its memory)."""
    pool.start()
    victim, *others = workers()
    assert victim.pid is not None and others
    os.kill(victim.pid, signal.SIGKILL)
    wait_until_dead(victim.pid)
    restarts = pool.restarts
    with pytest.raises(WorkerDiedError):
        pool.tag_many(TEXTS)
    assert pool.restarts == restarts + 1
    for survivor in others:
        assert survivor.pid is not None
        wait_until_dead(survivor.pid)
    assert [len(result.entities) > 0 for result in pool.tag_many(TEXTS)][:2] == [True, True]


def test_workers_ignore_sigterm_and_sigint_so_a_stop_signal_cannot_break_a_batch(
    pool: TaggerPool,
) -> None:
    pool.start()
    before = {child.pid for child in workers()}
    for child in workers():
        assert child.pid is not None
        os.kill(child.pid, signal.SIGTERM)
        os.kill(child.pid, signal.SIGINT)
    time.sleep(0.3)
    assert len(pool.tag_many(TEXTS)) == len(TEXTS)
    assert before <= {child.pid for child in workers()}


def test_a_worker_that_cannot_load_the_ner_model_says_why(catalog: Catalog) -> None:
    settings = NlpSettings(ner_model="no_such_spacy_package")
    broken = TaggerPool(catalog, settings, processes=1)
    with broken, pytest.raises(WorkerStartError, match="no_such_spacy_package"):
        broken.start()


def test_close_stops_every_worker_and_the_pool_refuses_more_work(catalog: Catalog) -> None:
    before = {child.pid for child in workers()}
    closing = TaggerPool(catalog, RULES_ONLY, processes=2)
    closing.start()
    started = {child.pid for child in workers()} - before
    assert len(started) == 2
    closing.close()
    assert started.isdisjoint(child.pid for child in workers())
    with pytest.raises(PoolClosedError, match="closed"):
        closing.tag("Nvidia shares rose 2%.")


# --- the workers' process ids (for monitoring their memory) -------------------------------------


def test_worker_pids_are_this_pools_live_workers_through_a_death_and_a_close(
    pool: TaggerPool, catalog: Catalog,
) -> None:
    pool.start()
    mine = pool.worker_pids()
    assert len(mine) == 2 and set(mine) <= {child.pid for child in workers()}
    with TaggerPool(catalog, RULES_ONLY, processes=1) as other:
        other.start()
        [its] = other.worker_pids()
        assert its not in mine and pool.worker_pids() == mine  # never another pool's worker
        os.kill(mine[0], signal.SIGKILL)
        wait_until_dead(mine[0])
        assert pool.worker_pids() == [mine[1]]  # a dead worker is not listed
        with pytest.raises(WorkerDiedError):
            pool.tag_many(TEXTS)
        pool.start()
        replaced = pool.worker_pids()
        assert len(replaced) == 2 and set(replaced).isdisjoint(mine)
        assert other.worker_pids() == [its]
    assert other.worker_pids() == []


def test_worker_pids_read_nothing_private_of_the_executor() -> None:
    """``ProcessPoolExecutor``'s private attributes (``_processes``...) are not an API: they
    may change with any Python version, so the pool names none of them."""
    import ast
    import inspect
    from concurrent.futures import ProcessPoolExecutor

    import pipeline.tagging_pool as module

    executor = ProcessPoolExecutor(max_workers=1)
    private = {name for name in vars(executor) if name.startswith("_")}
    executor.shutdown()
    tree = ast.parse(inspect.getsource(module))
    named = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
             and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})}
    named |= {node.value for node in ast.walk(tree)
              if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert "_processes" in private and not private & named


# --- the tagging step over stored articles ------------------------------------------------------


def store(storage: Storage, index: int, text: str) -> int:
    outcome = storage.articles.store(
        "wire", ExtractedArticle(url=f"https://n.example/{index}", title=f"Story {index}",
                                 text=f"{text} " + " ".join(f"w{index}x{n}" for n in range(30))),
        origin=ArticleOrigin.PAGE, fetched_at=NOW)
    assert outcome.article_id is not None
    return outcome.article_id


def test_a_worker_death_loses_no_article_the_batch_is_tagged_one_by_one(
    storage: Storage, pool: TaggerPool,
) -> None:
    ids = [store(storage, i, text) for i, text in enumerate(TEXTS)]
    victim = workers()[0]
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)
    wait_until_dead(victim.pid)
    report = tag_pending(storage, pool, version="v1", clock=lambda: NOW, batch_size=64)
    assert (report.tagged, report.failed) == (len(TEXTS), 0)
    assert storage.tags.count_pending() == 0
    muse = storage.tags.of(ids[0])
    assert {m.canonical for m in muse.text_entities} >= {"Meta", "Muse Spark"}


def test_a_tagger_that_cannot_start_leaves_every_article_waiting(
    storage: Storage, catalog: Catalog,
) -> None:
    for i, text in enumerate(TEXTS[:3]):
        store(storage, i, text)
    broken = TaggerPool(catalog, NlpSettings(ner_model="no_such_spacy_package"), processes=1)
    with broken, pytest.raises(WorkerStartError):
        tag_pending(storage, broken, version="v1", clock=lambda: NOW)
    assert storage.tags.count_pending() == 3
    assert storage.sources.rejections("wire") == []


# --- the application shell ----------------------------------------------------------------------


def test_the_app_tags_on_workers_when_configured_and_stops_them_on_close(tmp_path: Path) -> None:
    from config import Settings
    from newsmon.app import App

    before = {child.pid for child in workers()}
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model="", processes=2))
    with App.from_settings(settings, upgrade=True) as application:
        ids = [store(application.storage, i, text) for i, text in enumerate(TEXTS)]
        report = application.tag_pending()
        assert isinstance(application.article_tagger, TaggerPool)
        assert len({child.pid for child in workers()} - before) == 2
        assert (report.tagged, report.failed) == (len(TEXTS), 0)
        muse = application.storage.tags.of(ids[0])
        assert {m.canonical for m in muse.text_entities} >= {"Meta", "Muse Spark"}
    assert {child.pid for child in workers()} <= before


def test_the_app_tags_in_process_when_no_worker_is_configured(tmp_path: Path) -> None:
    from config import Settings
    from newsmon.app import App

    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model="", processes=0))
    with App.from_settings(settings, upgrade=True) as application:
        assert application.article_tagger is application.tagger


def test_a_closed_pool_leaves_every_article_waiting_and_refuses_none(
    storage: Storage, catalog: Catalog,
) -> None:
    for i, text in enumerate(TEXTS[:3]):
        store(storage, i, text)
    closed = TaggerPool(catalog, RULES_ONLY, processes=1)
    closed.close()  # as when the daemon stops between two batches
    with pytest.raises(PoolClosedError):
        tag_pending(storage, closed, version="v1", clock=lambda: NOW)
    assert storage.tags.count_pending() == 3
    assert storage.sources.rejections("wire") == []


PARENT_SCRIPT = """
import multiprocessing, sys
from config.catalog import load_catalog
from config.settings import NlpSettings
from pipeline.tagging_pool import TaggerPool

if __name__ == "__main__":
    pool = TaggerPool(load_catalog(), NlpSettings(ner_model=""), processes=2)
    pool.start()
    print(" ".join(str(child.pid) for child in multiprocessing.active_children()), flush=True)
    sys.stdin.read()  # wait to be killed
"""


def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text(PARENT_SCRIPT)
    repo = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        parent.kill()  # SIGKILL: no clean-up runs in the parent
        parent.wait()
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in pids)
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (orphans are reaped by init)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("delay", [0.0, 0.2, 1.5])  # before, while and after the pool starts
def test_closing_the_app_while_its_pool_starts_stops_every_worker(
    tmp_path: Path, delay: float
) -> None:
    import threading

    from config import Settings
    from newsmon.app import App

    before = {child.pid for child in workers()}
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model="", processes=2))
    application = App.from_settings(settings, upgrade=True)
    outcome: list[object] = []

    def start() -> None:  # what the daemon's processing job does on its first run
        try:
            outcome.append(application.article_tagger)
        except PoolClosedError as error:
            outcome.append(error)

    starting = threading.Thread(target=start)
    starting.start()
    time.sleep(delay)
    application.close()
    starting.join(timeout=60)
    assert not starting.is_alive() and len(outcome) == 1
    assert {child.pid for child in workers()} <= before
