"""The composition root: settings -> storage -> crawler + pipeline, built once per command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import Settings, load_settings, load_source_specs
from config.catalog import Catalog, load_catalog
from config.loading import DEFAULT_SOURCES_FILE
from crawler.runner import CrawlRunner
from newsmon.logs import configure_logging
from pipeline.dates import utc_now
from pipeline.ingest import ArticleIngestor
from pipeline.storage import Storage
from pipeline.tagging import TaggingReport, tag_pending, tagger_version

if TYPE_CHECKING:
    from pipeline.nlp.tagger import Tagger


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

    @classmethod
    def open(cls, options: AppOptions, *, upgrade: bool = False) -> App:
        """Load settings and open the database (creating the data directory as needed)."""
        settings = load_settings(home=options.home, config_file=options.config_file)
        return cls.from_settings(settings, upgrade=upgrade)

    @classmethod
    def from_settings(cls, settings: Settings, *, upgrade: bool = False) -> App:
        """Open the database named by ``settings``."""
        settings.home.mkdir(parents=True, exist_ok=True)
        configure_logging(settings.logging)
        storage = Storage.open(
            settings.database_url,
            busy_timeout_seconds=settings.storage.sqlite_busy_timeout_seconds,
            echo=settings.storage.echo_sql,
        )
        if upgrade:
            storage.upgrade()
        return cls(settings, storage)

    def crawl_runner(self) -> CrawlRunner:
        """A crawler that stores through the article ingestor."""
        return CrawlRunner(
            self.settings.crawler,
            self.storage,
            ArticleIngestor(self.storage, self.clock),
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

    def tag_pending(self, on_batch: Callable[[int], None] | None = None) -> TaggingReport:
        """Tag every stored article that waits to be tagged."""
        return tag_pending(
            self.storage, self.tagger, version=self.tagger_version, clock=self.clock,
            batch_size=self.settings.nlp.batch_size, on_batch=on_batch,
        )

    def close(self) -> None:
        """Release the database."""
        self.storage.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
