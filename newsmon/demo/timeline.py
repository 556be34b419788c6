"""The sample news site's clock: which stories are out at a given moment, with their URLs.

Part of the offline demo of the application shell (``newsmon/demo``). :func:`schedule_stories`
places every story of the :class:`~newsmon.demo.catalog.Catalog` at ``start + offset`` under the
site's base URL; :func:`edition_at` keeps what is published at ``now``. Everything the site serves
(feeds, sitemap, section pages, article pages) is rendered from one :class:`Edition`, so a story
appears everywhere at the same instant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from newsmon.demo.catalog import Catalog, Outlet, Story


@dataclass(frozen=True)
class PublishedStory:
    """A story placed on the site: where it lives and when it is (or will be) published."""

    story: Story
    outlet: Outlet
    path: str
    url: str
    published: datetime
    """UTC-aware."""
    updated: datetime
    """UTC-aware; equals ``published`` unless the story has been updated since."""

    @property
    def title(self) -> str:
        """The story's headline."""
        return self.story.title

    @property
    def has_page(self) -> bool:
        """False when the story's page answers 404 (its feed entry is all there is)."""
        return self.story.has_page

    @property
    def cluster(self) -> str | None:
        """The name shared by stories about the same event, if any."""
        return self.story.cluster


@dataclass(frozen=True)
class FeedItem:
    """One entry of an outlet's feed: one of its own stories, or a syndicated copy of another's."""

    item: PublishedStory
    link: str
    entry_id: str
    published: datetime
    syndicated: bool = False

    @property
    def updated(self) -> datetime:
        """When the entry last changed (never before it was published)."""
        return max(self.published, self.item.updated)


@dataclass(frozen=True)
class Edition:
    """The site as it stands at one moment: every visible story, newest first."""

    catalog: Catalog
    base_url: str
    start: datetime
    now: datetime
    stories: tuple[PublishedStory, ...]
    scheduled: tuple[PublishedStory, ...]
    """Every story, including those not out yet (for syndicated copies, whose times differ)."""
    listing_size: int | None = None
    """How many of an outlet's newest stories its feed, sitemap and section page list (``None``:
    all of them; article pages stay up either way)."""

    def url(self, path: str) -> str:
        """The absolute URL of a site path."""
        return self.base_url + path

    def of_outlet(self, outlet: Outlet, *, with_page: bool = False) -> tuple[PublishedStory, ...]:
        """The visible stories of one outlet, newest first (only those with a page, if asked)."""
        listed = tuple(
            item
            for item in self.stories
            if item.outlet.key == outlet.key and (item.has_page or not with_page)
        )
        return listed if self.listing_size is None else listed[: self.listing_size]

    def feed_items(self, outlet: Outlet) -> tuple[FeedItem, ...]:
        """An outlet's feed: its visible stories plus due syndicated copies, newest first."""
        own = [
            FeedItem(item, item.url, entry_id(outlet, item.story.slug), item.published)
            for item in self.of_outlet(outlet)
        ]
        return tuple(sorted(own + self._syndicated_into(outlet), key=_newest_first))

    def last_change(self, moments: list[datetime]) -> datetime:
        """The latest of ``moments``, or the site's start when there are none."""
        return max(moments, default=self.start)

    def _syndicated_into(self, outlet: Outlet) -> list[FeedItem]:
        items = []
        for item in self.scheduled:
            copy = item.story.syndication
            if copy is None or copy.outlet != outlet.key:
                continue
            due = item.published + copy.delay
            if due <= self.now:
                link = f"{item.url}?{copy.query}"
                slug = f"syndicated/{item.outlet.key}/{item.story.slug}"
                items.append(FeedItem(item, link, entry_id(outlet, slug), due, syndicated=True))
        return items


def schedule_stories(
    catalog: Catalog, start: datetime, base_url: str
) -> tuple[PublishedStory, ...]:
    """Place every story at ``start + offset`` under ``base_url``, newest first."""
    placed = [
        _place(story, catalog.outlet(story.outlet), start, base_url) for story in catalog.stories
    ]
    return tuple(sorted(placed, key=lambda item: (item.published, item.story.key), reverse=True))


def edition_at(
    catalog: Catalog,
    scheduled: tuple[PublishedStory, ...],
    start: datetime,
    now: datetime,
    base_url: str,
    listing_size: int | None = None,
) -> Edition:
    """The site at ``now``: stories published by then, each showing only updates already made."""
    visible = tuple(
        item if item.updated <= now else replace(item, updated=item.published)
        for item in scheduled
        if item.published <= now
    )
    return Edition(catalog, base_url, start, now, visible, scheduled, listing_size)


def entry_id(outlet: Outlet, slug: str) -> str:
    """A stable feed entry id (a ``tag:`` URI, RFC 4151) for a story in an outlet's feed."""
    return f"tag:{outlet.source_name}.example,2026:{slug}"


def _place(story: Story, outlet: Outlet, start: datetime, base_url: str) -> PublishedStory:
    published = start + story.offset
    updated = published if story.updated_offset is None else start + story.updated_offset
    local = published.astimezone(outlet.zone)
    path = outlet.article_path.format(published=local, slug=story.slug)
    return PublishedStory(story, outlet, path, base_url + path, published, updated)


def _newest_first(entry: FeedItem) -> tuple[float, str]:
    return (-entry.published.astimezone(UTC).timestamp(), entry.entry_id)
