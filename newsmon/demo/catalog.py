"""The sample news site's data: four fictional outlets and their stories, loaded from TOML.

Part of the offline demo of the application shell (``newsmon/demo``): :mod:`newsmon.demo.site`
serves what this module loads. The data files live beside it in ``stories/*.toml``, one per outlet
(sample data: fictional stories for the newsmon demo). Each story's publication time is an offset
from the site's start clock, so the same data serves a fixed clock in tests and the wall clock in
``newsmon demo``. Loading checks every field once and returns frozen values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone
from importlib import resources
from typing import Any

DATA_PACKAGE = "newsmon.demo"
DATA_FOLDER = "stories"

SOURCE_KINDS: Mapping[str, str] = {
    "rss": "feed",
    "atom": "feed",
    "news-sitemap": "sitemap",
    "section": "page",
}
"""How an outlet is polled (``poll_format``) and the crawler source kind that reads it."""

BLOCK_KINDS = ("p", "h2", "ul")


class DemoDataError(ValueError):
    """A demo data file is malformed: a missing field, a wrong type, a dangling reference."""


@dataclass(frozen=True)
class PinnedLink:
    """A link an outlet's section page shows above its stories (it need not be an article)."""

    title: str
    path: str
    blurb: str


@dataclass(frozen=True)
class Outlet:
    """One fictional publication on the sample site, told apart by its path prefix."""

    key: str
    position: int
    name: str
    tagline: str
    source_name: str
    poll_format: str
    poll_path: str
    home_path: str
    article_path: str
    """A ``str.format`` pattern of ``{published}`` (in the outlet's zone) and ``{slug}``."""
    utc_offset_minutes: int
    date_format: str
    weight: float
    interval_seconds: int
    link_selector: str | None = None
    pinned: tuple[PinnedLink, ...] = ()

    @property
    def source_kind(self) -> str:
        """The crawler source kind (``feed``, ``sitemap`` or ``page``) that polls this outlet."""
        return SOURCE_KINDS[self.poll_format]

    @property
    def zone(self) -> timezone:
        """The fixed UTC offset the outlet shows its times in."""
        return timezone(timedelta(minutes=self.utc_offset_minutes))


@dataclass(frozen=True)
class Block:
    """One block of an article body: a paragraph, a subheading or a bulleted list."""

    kind: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Syndication:
    """A copy of a story listed in another outlet's feed, linked with tracking parameters."""

    outlet: str
    delay: timedelta
    query: str


@dataclass(frozen=True)
class Story:
    """One fictional article as written in the data files; times are offsets from the start."""

    outlet: str
    slug: str
    title: str
    summary: str
    author: str
    section: str
    tags: tuple[str, ...]
    offset: timedelta
    blocks: tuple[Block, ...]
    cluster: str | None = None
    """Stories about the same event in several outlets share a cluster name."""
    has_page: bool = True
    """False: the feed links to a page that answers 404."""
    json_ld_body: bool = False
    updated_offset: timedelta | None = None
    update_note: str | None = None
    syndication: Syndication | None = None

    @property
    def key(self) -> str:
        """``outlet/slug``, unique across the site."""
        return f"{self.outlet}/{self.slug}"

    @property
    def text(self) -> str:
        """The body as plain text, one block or list item a paragraph."""
        return "\n\n".join(text for block in self.blocks for text in block.texts)

    @property
    def word_count(self) -> int:
        """Words in the body (headings included)."""
        return len(self.text.split())


@dataclass(frozen=True)
class LabEvent:
    """An entry of the events calendar, a page that is not an article."""

    name: str
    city: str
    days_from_start: int
    description: str


@dataclass(frozen=True)
class Catalog:
    """Everything the sample site publishes, ordered by outlet position, then data-file order."""

    outlets: tuple[Outlet, ...]
    stories: tuple[Story, ...]
    events: tuple[LabEvent, ...]

    def outlet(self, key: str) -> Outlet:
        """The outlet with this key; :class:`KeyError` when there is none."""
        for outlet in self.outlets:
            if outlet.key == key:
                return outlet
        raise KeyError(key)

    def stories_of(self, outlet_key: str) -> tuple[Story, ...]:
        """The stories one outlet publishes."""
        return tuple(story for story in self.stories if story.outlet == outlet_key)


def load_catalog() -> Catalog:
    """Load and check the bundled data files (``newsmon/demo/stories/*.toml``)."""
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_FOLDER)
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".toml")),
        key=lambda entry: entry.name,
    )
    documents = {entry.name: tomllib.loads(entry.read_text(encoding="utf-8")) for entry in files}
    return build_catalog(documents)


def build_catalog(documents: Mapping[str, Mapping[str, Any]]) -> Catalog:
    """Turn parsed data files (file name -> TOML document) into a checked :class:`Catalog`."""
    outlets: list[Outlet] = []
    stories: list[Story] = []
    events: list[LabEvent] = []
    for name, document in documents.items():
        outlet = _read_outlet(_table(document, "outlet", name), name)
        outlets.append(outlet)
        stories += [_read_story(t, outlet.key, name) for t in _tables(document, "stories", name)]
        events += [_read_event(t, name) for t in _tables(document, "events", name)]
    outlets.sort(key=lambda outlet: outlet.position)
    rank = {outlet.key: index for index, outlet in enumerate(outlets)}
    stories.sort(key=lambda story: rank[story.outlet])
    catalog = Catalog(tuple(outlets), tuple(stories), tuple(events))
    _check_references(catalog)
    return catalog


def parse_body(text: str, where: str) -> tuple[Block, ...]:
    """Split a body into blocks: blank lines separate them, ``## `` and ``- `` mark their kind."""
    blocks: list[Block] = []
    for chunk in text.strip().split("\n\n"):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            blocks.append(Block("ul", tuple(line[2:].strip() for line in lines)))
        elif len(lines) == 1 and lines[0].startswith("## "):
            blocks.append(Block("h2", (lines[0][3:].strip(),)))
        elif any(line.startswith(("## ", "- ")) for line in lines):
            raise DemoDataError(f"{where}: mixed block kinds in {chunk[:40]!r}")
        else:
            blocks.append(Block("p", (" ".join(lines),)))
    if not blocks:
        raise DemoDataError(f"{where}: empty body")
    return tuple(blocks)


def _read_outlet(table: Mapping[str, Any], where: str) -> Outlet:
    poll_format = _text(table, "poll_format", where)
    if poll_format not in SOURCE_KINDS:
        raise DemoDataError(f"{where}: unknown poll_format {poll_format!r}")
    selector = _optional_text(table, "link_selector", where)
    if poll_format == "section" and selector is None:
        raise DemoDataError(f"{where}: a section-page outlet needs a link_selector")
    return Outlet(
        key=_text(table, "key", where),
        position=_integer(table, "position", where),
        name=_text(table, "name", where),
        tagline=_text(table, "tagline", where),
        source_name=_text(table, "source_name", where),
        poll_format=poll_format,
        poll_path=_text(table, "poll_path", where),
        home_path=_text(table, "home_path", where),
        article_path=_text(table, "article_path", where),
        utc_offset_minutes=_integer(table, "utc_offset_minutes", where),
        date_format=_text(table, "date_format", where),
        weight=float(_number(table, "weight", where)),
        interval_seconds=_integer(table, "interval_seconds", where),
        link_selector=selector,
        pinned=tuple(_read_pinned(t, where) for t in _tables(table, "pinned", where)),
    )


def _read_pinned(table: Mapping[str, Any], where: str) -> PinnedLink:
    return PinnedLink(
        title=_text(table, "title", where),
        path=_text(table, "path", where),
        blurb=_text(table, "blurb", where),
    )


def _read_story(table: Mapping[str, Any], outlet: str, file_name: str) -> Story:
    where = f"{file_name}: story {table.get('slug', '?')!r}"
    updated = _optional_integer(table, "updated_offset_minutes", where)
    syndication = table.get("syndication")
    return Story(
        outlet=outlet,
        slug=_text(table, "slug", where),
        title=_text(table, "title", where),
        summary=_text(table, "summary", where),
        author=_text(table, "author", where),
        section=_text(table, "section", where),
        tags=_texts(table, "tags", where),
        offset=timedelta(minutes=_integer(table, "offset_minutes", where)),
        blocks=parse_body(_text(table, "body", where), where),
        cluster=_optional_text(table, "cluster", where),
        has_page=_flag(table, "has_page", where, default=True),
        json_ld_body=_flag(table, "json_ld_body", where, default=False),
        updated_offset=None if updated is None else timedelta(minutes=updated),
        update_note=_optional_text(table, "update_note", where),
        syndication=None if syndication is None else _read_syndication(syndication, where),
    )


def _read_syndication(table: Any, where: str) -> Syndication:
    if not isinstance(table, Mapping):
        raise DemoDataError(f"{where}: syndication must be a table")
    return Syndication(
        outlet=_text(table, "outlet", where),
        delay=timedelta(minutes=_integer(table, "delay_minutes", where)),
        query=_text(table, "query", where),
    )


def _read_event(table: Mapping[str, Any], where: str) -> LabEvent:
    return LabEvent(
        name=_text(table, "name", where),
        city=_text(table, "city", where),
        days_from_start=_integer(table, "days_from_start", where),
        description=_text(table, "description", where),
    )


def _check_references(catalog: Catalog) -> None:
    """Keys are unique; syndication targets exist and have feeds; updates follow publication."""
    keys = [story.key for story in catalog.stories]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise DemoDataError(f"duplicate stories: {', '.join(duplicates)}")
    outlet_keys = {outlet.key for outlet in catalog.outlets}
    for story in catalog.stories:
        copy = story.syndication
        if copy is not None and (copy.outlet not in outlet_keys or copy.outlet == story.outlet):
            raise DemoDataError(f"{story.key}: cannot be syndicated to {copy.outlet!r}")
        if copy is not None and catalog.outlet(copy.outlet).source_kind != "feed":
            raise DemoDataError(f"{story.key}: syndication target {copy.outlet!r} has no feed")
        if story.updated_offset is not None and story.updated_offset < story.offset:
            raise DemoDataError(f"{story.key}: updated before it was published")


def _value(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise DemoDataError(f"{where}: missing {key!r}")
    value = table[key]
    # bool is a subclass of int: a flag must not pass for a number, nor a number for a flag.
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise DemoDataError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value: str = _value(table, key, str, where)
    if not value.strip():
        raise DemoDataError(f"{where}: {key!r} is empty")
    return value


def _optional_text(table: Mapping[str, Any], key: str, where: str) -> str | None:
    return _text(table, key, where) if key in table else None


def _integer(table: Mapping[str, Any], key: str, where: str) -> int:
    value: int = _value(table, key, int, where)
    return value


def _optional_integer(table: Mapping[str, Any], key: str, where: str) -> int | None:
    return _integer(table, key, where) if key in table else None


def _number(table: Mapping[str, Any], key: str, where: str) -> float:
    value: float = _value(table, key, (int, float), where)
    return value


def _flag(table: Mapping[str, Any], key: str, where: str, *, default: bool) -> bool:
    if key not in table:
        return default
    value: bool = _value(table, key, bool, where)
    return value


def _texts(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _value(table, key, list, where)
    if not all(isinstance(value, str) and value for value in values):
        raise DemoDataError(f"{where}: {key!r} must be a list of strings")
    return tuple(values)


def _table(document: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value: Mapping[str, Any] = _value(document, key, dict, where)
    return value


def _tables(document: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    values = document.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise DemoDataError(f"{where}: {key!r} must be an array of tables")
    return values
