"""Routing of the sample news site: which document answers a path at a given moment.

Part of the offline demo of the application shell (``newsmon/demo``). :class:`SiteRouter` builds
the site's :class:`~newsmon.demo.timeline.Edition` for ``now`` and maps paths to documents: the
network index, robots.txt, each outlet's section page and feed or sitemap, the article pages of
published stories, the events calendar (not an article) and the private draft robots.txt forbids.
Anything else, including stories not published yet and feed-only stories, is a 404. Query strings
are ignored, so a link with tracking parameters serves the same page as the clean URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from html import escape
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from newsmon.demo.catalog import Catalog, Outlet
from newsmon.demo.render import SiteRenderer
from newsmon.demo.responses import ATOM, HTML, RSS, TEXT, XML, Document
from newsmon.demo.timeline import Edition, PublishedStory, edition_at, schedule_stories

ROBOTS_DISALLOWED = "/private/"
PRIVATE_DRAFT_PATH = "/private/drafts/muse-family-roadmap/"
EVENTS_PATH = "/labs/events/"
EVENTS_OUTLET = "labs"

Route = Callable[[], Document]


class SiteRouter:
    """Answers a path with a :class:`Document`, as the site stands at a given moment."""

    def __init__(
        self, catalog: Catalog, renderer: SiteRenderer, *, base_url: str, start: datetime,
        listing_size: int | None = None,
    ) -> None:
        self._catalog = catalog
        self._listing_size = listing_size
        self._renderer = renderer
        self._base_url = base_url
        self._start = start
        self._scheduled = schedule_stories(catalog, start, base_url)

    @property
    def scheduled(self) -> tuple[PublishedStory, ...]:
        """Every story with its URL and publication time, newest first, released or not."""
        return self._scheduled

    def edition(self, now: datetime) -> Edition:
        """The site as it stands at ``now``."""
        return edition_at(self._catalog, self._scheduled, self._start, now, self._base_url,
                          self._listing_size)

    def resolve(self, target: str, now: datetime) -> Document:
        """The document for a request target (path and optional query) at ``now``."""
        path = unquote(urlsplit(target).path) or "/"
        edition = self.edition(now)
        routes = self._routes(edition)
        route = routes.get(path)
        if route is not None:
            return route()
        if not path.endswith("/") and path + "/" in routes:
            return _redirect(edition.url(path + "/"))
        body = self._renderer.not_found(edition, path)
        return Document(HTTPStatus.NOT_FOUND, HTML, body.encode())

    def _routes(self, edition: Edition) -> dict[str, Route]:
        routes: dict[str, Route] = {
            "/": partial(self._index, edition),
            "/robots.txt": partial(self._robots, edition),
            EVENTS_PATH: partial(self._events, edition),
            PRIVATE_DRAFT_PATH: partial(self._private_draft, edition),
        }
        for outlet in self._catalog.outlets:
            routes[outlet.home_path] = partial(self._section, edition, outlet)
            if outlet.poll_path != outlet.home_path:
                routes[outlet.poll_path] = partial(self._poll_document, edition, outlet)
        for item in edition.stories:
            if item.has_page:
                routes[item.path] = partial(self._article, edition, item)
        return routes

    def _index(self, edition: Edition) -> Document:
        return _html(self._renderer.index(edition), edition.start)

    def _robots(self, edition: Edition) -> Document:
        sitemaps = [
            edition.url(outlet.poll_path)
            for outlet in self._catalog.outlets
            if outlet.poll_format == "news-sitemap"
        ]
        text = self._renderer.robots(edition, ROBOTS_DISALLOWED, sitemaps)
        return Document(HTTPStatus.OK, TEXT, text.encode(), edition.start)

    def _section(self, edition: Edition, outlet: Outlet) -> Document:
        items = edition.of_outlet(outlet, with_page=True)
        changed = edition.last_change([item.updated for item in items])
        return _html(self._renderer.section(edition, outlet), changed)

    def _poll_document(self, edition: Edition, outlet: Outlet) -> Document:
        if outlet.poll_format == "news-sitemap":
            moments = [item.updated for item in edition.of_outlet(outlet)]
            text, content_type = self._renderer.news_sitemap(edition, outlet), XML
        else:
            entries = edition.feed_items(outlet)
            moments = [entry.updated for entry in entries]
            if outlet.poll_format == "atom":
                text, content_type = self._renderer.atom(edition, outlet, entries), ATOM
            else:
                text, content_type = self._renderer.rss(edition, outlet, entries), RSS
        return Document(HTTPStatus.OK, content_type, text.encode(), edition.last_change(moments))

    def _article(self, edition: Edition, item: PublishedStory) -> Document:
        return _html(self._renderer.article(edition, item), item.updated)

    def _events(self, edition: Edition) -> Document:
        outlet = self._catalog.outlet(EVENTS_OUTLET)
        return _html(self._renderer.events(edition, outlet), edition.start)

    def _private_draft(self, edition: Edition) -> Document:
        return _html(self._renderer.private_draft(edition), edition.start)


def _html(text: str, last_modified: datetime) -> Document:
    return Document(HTTPStatus.OK, HTML, text.encode(), last_modified)


def _redirect(location: str) -> Document:
    link = escape(location)
    body = f'<!DOCTYPE html><html lang="en"><title>Moved</title><a href="{link}">{link}</a></html>'
    return Document(HTTPStatus.MOVED_PERMANENTLY, HTML, body.encode(), location=location)
