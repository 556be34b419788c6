"""The composition root: settings -> storage -> crawler + pipeline, built once per command."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from alerts.channels import ChannelDeps, build_channels
from alerts.channels.types import DeliveryResult, DeliveryStatus
from alerts.compose import compose_message
from alerts.digest_delivery import DigestChannels, send_digest
from alerts.match_job import CompiledSubscriptions, MatchReport, match_pending
from alerts.netguard import AllowList, NetworkPolicy, guarded_client
from alerts.outbox import Outbox, OutboxReport, RetryPolicy
from config import Settings, load_settings, load_source_specs
from config.catalog import Catalog, load_catalog
from config.errors import NewsmonError
from config.loading import DEFAULT_SOURCES_FILE, ConfigError
from crawler.runner import CrawlRunner
from newsmon.logs import configure_logging
from pipeline.dates import utc_now
from pipeline.ingest import ArticleIngestor
from pipeline.storage import Storage
from pipeline.storage.digests import StoredDigest
from pipeline.storage.sealing import (
    OLD_SECRET_KEYS_ENV,
    SECRET_KEY_ENV,
    TargetCipher,
    missing_key_message,
)
from pipeline.storage.subscriptions import SealingOutcome, SubscriptionRecord
from pipeline.story_job import ClusterReport, StoryIndex, cluster_pending
from pipeline.tagging import TaggingReport, TextTagger, tag_pending, tagger_version
from pipeline.tagging_pool import PoolClosedError, TaggerPool
from pipeline.types import StopCheck, never

if TYPE_CHECKING:
    from pipeline.nlp.tagger import Tagger

logger = logging.getLogger(__name__)


class DataDirectoryError(NewsmonError):
    """The data directory cannot be created (a file is in the way, missing rights, read-only)."""


def allow_list_of(settings: Settings, env: Mapping[str, str]) -> AllowList:
    """Private hosts that may be reached: ``network.allow_hosts`` or NEWSMON_ALLOW_HOSTS (which
    replaces it); a bad entry is a :class:`ConfigError` naming where it came from."""
    try:
        return AllowList.from_settings(settings.network.allow_hosts, env)
    except ValueError as error:
        raise ConfigError(str(error)) from error


@dataclass(frozen=True)
class ProcessReport:
    """What ``newsmon process`` did, step by step."""

    tagging: TaggingReport
    clustering: ClusterReport
    matching: MatchReport
    stopped_early: bool = False
    """The run was asked to stop (the daemon is stopping): what is left waits for the next."""


@dataclass(frozen=True)
class AppOptions:
    """What the command line says about where newsmon's data and configuration live."""

    home: Path | None = None
    config_file: Path | None = None


@dataclass
class App:
    """The wired application for one command: settings, storage, clock."""

    settings: Settings
    storage: Storage
    clock: Callable[[], datetime] = utc_now
    scrapy_overrides: dict[str, Any] = field(default_factory=dict)
    _pools: list[TaggerPool] = field(default_factory=list, init=False, repr=False)
    """Tagging pools made by :attr:`article_tagger`, known from before they start, so that
    :meth:`close` stops one that is still starting."""
    _closing: bool = field(default=False, init=False, repr=False)
    _pools_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _reported_channels: set[str] = field(default_factory=set, init=False, repr=False)
    """Unavailable channels already logged at INFO (each delivery pass would repeat them)."""

    @classmethod
    def open(cls, options: AppOptions, *, upgrade: bool = False) -> App:
        """Load settings and open the database (creating the data directory as needed)."""
        settings = load_settings(home=options.home, config_file=options.config_file)
        return cls.from_settings(settings, upgrade=upgrade)

    @classmethod
    def from_settings(cls, settings: Settings, *, upgrade: bool = False) -> App:
        """Open the database named by ``settings`` (after checking the allow list: a bad entry
        stops every command at once, not the first one that connects somewhere)."""
        allow_list_of(settings, os.environ)
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            why = "it is not a directory" if isinstance(error, FileExistsError) else error.strerror
            raise DataDirectoryError(
                f"cannot create the data directory {settings.home}: {why} (give --home or "
                "NEWSMON_HOME a directory this user may create and write)") from error
        configure_logging(settings.logging)
        storage = Storage.open(
            settings.database_url,
            busy_timeout_seconds=settings.storage.sqlite_busy_timeout_seconds,
            echo=settings.storage.echo_sql,
            cipher=TargetCipher.from_env(os.environ),
        )
        application = cls(settings, storage)
        if upgrade:
            storage.upgrade()
            application.seal_clear_targets()
        return application

    def seal_clear_targets(self) -> SealingOutcome:
        """After an upgrade: seal Slack and Discord URLs still stored in clear and re-seal those
        sealed with a key being rotated out (needs NEWSMON_SECRET_KEY; without it, say so in
        the log)."""
        subscriptions = self.storage.subscriptions
        if subscriptions.can_seal:
            outcome = subscriptions.seal_clear_targets()
            if outcome.unreadable:
                logger.warning("%d Slack/Discord webhook URL(s) were sealed with a key that is "
                               "neither %s nor in %s: they cannot be used until that key is "
                               "given", outcome.unreadable, SECRET_KEY_ENV, OLD_SECRET_KEYS_ENV)
            return outcome
        clear = subscriptions.count_clear_targets()
        if clear:
            logger.warning("%d Slack/Discord webhook URL(s) are stored in clear: %s, then run "
                           "`newsmon db upgrade`", clear, missing_key_message())
        return SealingOutcome(0, 0, 0)

    def crawl_runner(self) -> CrawlRunner:
        """A crawler that stores through the article ingestor, inside the SSRF guard."""
        return CrawlRunner(
            self.settings.crawler,
            self.storage,
            ArticleIngestor(self.storage, self.clock),
            policy=NetworkPolicy(self.allow_list()),
            clock=self.clock,
            scrapy_overrides=self.scrapy_overrides,
        )

    def default_source_files(self) -> list[Path]:
        """The bundled source list, then the user's ``sources.toml`` in the data dir if present."""
        user = self.settings.home / "sources.toml"
        return [DEFAULT_SOURCES_FILE, user] if user.is_file() else [DEFAULT_SOURCES_FILE]

    def seed_sources(self) -> int:
        """Copy the default (and user) source lists into the database, once."""
        specs = load_source_specs(*self.default_source_files())
        return self.storage.sources.seed_defaults(specs, self.clock())

    def entity_paths(self) -> list[Path]:
        """The user's entity files (``$NEWSMON_HOME/entities/``), merged over the bundled ones."""
        user = self.settings.home / "entities"
        return [user] if user.is_dir() else []

    @cached_property
    def catalog(self) -> Catalog:
        """The entity catalog: bundled records, then the user's (loaded once per command)."""
        return load_catalog(*self.entity_paths())

    @cached_property
    def tagger(self) -> Tagger:
        """The NLP pipeline, built once from the catalog and the NLP settings."""
        from pipeline.nlp.tagger import Tagger  # spaCy loads slowly: only when tagging

        return Tagger.build(self.catalog, self.settings.nlp)

    @cached_property
    def tagger_version(self) -> str:
        """Identifies the catalog and NLP settings the stored tags were made with."""
        return tagger_version(self.catalog.fingerprint, self.settings.nlp.ner_model)

    @cached_property
    def article_tagger(self) -> TextTagger:
        """What tags stored articles: worker processes when ``nlp.processes`` resolves to one or
        more (started on first use, stopped by :meth:`close`), else :attr:`tagger` in-process."""
        processes = self.settings.nlp.worker_processes()
        if processes == 0:
            return self.tagger
        pool = TaggerPool(self.catalog, self.settings.nlp, processes)
        with self._pools_lock:  # either close() sees this pool, or this sees close()
            if self._closing:
                raise PoolClosedError("newsmon is stopping: no tagging workers are started")
            self._pools.append(pool)
        try:
            pool.start()  # a worker that cannot load the NER model fails here, loudly
        except BaseException:
            pool.close()
            with self._pools_lock:
                self._pools.remove(pool)  # the next processing run tries a fresh one
            raise
        logger.info("tagging on %d worker processes", processes)
        return pool

    def tag_pending(self, on_batch: Callable[[int], None] | None = None,
                    should_stop: StopCheck = never) -> TaggingReport:
        """Tag every stored article that waits to be tagged (a batch per worker at a time)."""
        processes = max(1, self.settings.nlp.worker_processes())
        return tag_pending(
            self.storage, self.article_tagger, version=self.tagger_version, clock=self.clock,
            batch_size=self.settings.nlp.batch_size * processes, on_batch=on_batch,
            should_stop=should_stop,
        )

    @cached_property
    def story_index(self) -> StoryIndex:
        """The story clusterer, kept for the life of this App (the daemon's whole run)."""
        return StoryIndex()

    @cached_property
    def compiled_subscriptions(self) -> CompiledSubscriptions:
        """The subscriptions' match index, kept for the life of this App and compiled again only
        when the subscriptions change (the daemon matches every few minutes)."""
        return CompiledSubscriptions()

    def process(self, should_stop: StopCheck = never) -> ProcessReport:
        """Everything new through tagging, story clustering and matching, now. Once
        ``should_stop`` says so (the daemon is stopping) no further batch starts: the step in
        progress finishes its batch, and the rest waits for the next run."""
        tagging = self.tag_pending(should_stop=should_stop)
        clustering = cluster_pending(self.storage, clock=self.clock, index=self.story_index,
                                     should_stop=should_stop)
        matching = match_pending(self.storage, self.catalog, clock=self.clock,
                                 compiled=self.compiled_subscriptions, should_stop=should_stop)
        return ProcessReport(tagging, clustering, matching, stopped_early=should_stop())

    def allow_list(self) -> AllowList:
        """Private hosts that may be reached: ``network.allow_hosts`` or NEWSMON_ALLOW_HOSTS."""
        return allow_list_of(self.settings, os.environ)

    def _http_client(self, allow: AllowList) -> httpx.AsyncClient:
        webhook = self.settings.webhook
        timeout = httpx.Timeout(webhook.timeout_seconds, connect=webhook.connect_timeout_seconds)
        return guarded_client(allow, timeout=timeout)

    async def send_digest(
        self, stored: StoredDigest, subscription: SubscriptionRecord
    ) -> list[tuple[str, str, DeliveryResult]]:
        """Send a stored digest on the subscription's active channels; marked sent only when
        every channel accepted it."""
        allow = self.allow_list()
        async with self._http_client(allow) as client:
            results = await send_digest(stored, subscription, DigestChannels(
                client, allow, self.settings.email, os.environ,
                self.settings.webhook.timeout_seconds, self.settings.delivery.public_url))
        if results and all(r.status is DeliveryStatus.SENT for _, _, r in results):
            self.storage.digests.mark_sent(stored.id, self.clock())
        return results

    def unconfigured_channels(self, kinds: Iterable[str]) -> dict[str, str]:
        """Which of the channel ``kinds`` cannot deliver with these settings and this
        environment, and why (for a note when a subscription is saved)."""

        async def check() -> dict[str, str]:
            allow = self.allow_list()
            async with self._http_client(allow) as client:
                _built, missing = build_channels(ChannelDeps(
                    http_client=client, allow=allow, email=self.settings.email, env=os.environ,
                    http_deadline_seconds=self.settings.webhook.timeout_seconds), names=kinds)
            return missing

        return asyncio.run(check())

    async def send_alerts(self) -> OutboxReport:
        """One pass over the outbox with every configured channel."""
        allow, webhook = self.allow_list(), self.settings.webhook
        async with self._http_client(allow) as client:
            channels, missing = build_channels(ChannelDeps(
                http_client=client, allow=allow, email=self.settings.email, env=os.environ,
                http_deadline_seconds=webhook.timeout_seconds))
            for name, why in missing.items():
                first = name not in self._reported_channels
                self._reported_channels.add(name)
                logger.log(logging.INFO if first else logging.DEBUG,
                           "channel %s unavailable: %s", name, why)
            delivery = self.settings.delivery
            outbox = Outbox(
                self.storage, channels,
                lambda job: compose_message(self.storage, delivery.public_url, job),
                self.clock, RetryPolicy.from_settings(delivery),
                concurrency=delivery.concurrency, batch_size=delivery.batch_size,
                lease=timedelta(seconds=delivery.claim_lease),
            )
            return await outbox.send_due()

    def close(self) -> None:
        """Stop the tagging workers, if any were started, and release the database."""
        with self._pools_lock:
            self._closing = True
            pools = list(self._pools)
        for pool in pools:  # a pool still starting in a job's thread included
            pool.close()
        self.storage.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
