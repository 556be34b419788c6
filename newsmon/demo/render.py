"""Rendering of the sample news site: Jinja2 templates for pages, feeds, the sitemap and robots.txt.

Part of the offline demo of the application shell (``newsmon/demo``). Every method takes an
:class:`~newsmon.demo.timeline.Edition` (the site at one moment) and returns text; the router wraps
it in a response. Templates live in ``newsmon/demo/templates``; autoescaping is on for ``.html``
and ``.xml`` templates. Article pages carry what real news pages carry (canonical link, Open Graph,
JSON-LD ``NewsArticle``) and the boilerplate extraction has to strip (navigation, cookie banner,
related links, newsletter box, footer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from newsmon.demo.catalog import Outlet
from newsmon.demo.timeline import Edition, FeedItem, PublishedStory

SAMPLE_NOTICE = "Sample data: fictional stories for the newsmon demo."
RELATED_LINKS = 4


class SiteRenderer:
    """Renders the site's documents from its Jinja2 templates."""

    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("newsmon.demo", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html", "xml"), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters.update(rfc822=rfc822_date, w3c=w3c_date, shown=shown_date)

    def article(self, edition: Edition, item: PublishedStory) -> str:
        """An article page."""
        related = [
            other for other in edition.of_outlet(item.outlet, with_page=True) if other is not item
        ]
        return self._render(
            "article.html",
            edition,
            item.outlet,
            item=item,
            related=related[:RELATED_LINKS],
            json_ld=news_article_json_ld(item),
        )

    def section(self, edition: Edition, outlet: Outlet) -> str:
        """An outlet's section page: pinned links, then its stories newest first.

        Links are root-relative, as on many real sites: the crawler has to resolve them.
        """
        items = edition.of_outlet(outlet, with_page=True)
        return self._render("section.html", edition, outlet, pinned=outlet.pinned, items=items)

    def rss(self, edition: Edition, outlet: Outlet, entries: tuple[FeedItem, ...]) -> str:
        """An RSS 2.0 feed with the full text in ``content:encoded``."""
        return self._render(
            "rss.xml", edition, outlet, entries=entries, built=_latest(edition, entries)
        )

    def atom(self, edition: Edition, outlet: Outlet, entries: tuple[FeedItem, ...]) -> str:
        """An Atom 1.0 feed with summaries only."""
        return self._render(
            "atom.xml", edition, outlet, entries=entries, built=_latest(edition, entries)
        )

    def news_sitemap(self, edition: Edition, outlet: Outlet) -> str:
        """A Google News sitemap of the outlet's visible articles."""
        return self._render("news-sitemap.xml", edition, outlet, items=edition.of_outlet(outlet))

    def robots(self, edition: Edition, disallowed: str, sitemaps: list[str]) -> str:
        """robots.txt: one disallowed path, the sitemaps."""
        return self._render("robots.txt", edition, None, disallowed=disallowed, sitemaps=sitemaps)

    def index(self, edition: Edition) -> str:
        """The network's front page: the four outlets and how each can be polled."""
        return self._render("index.html", edition, None)

    def events(self, edition: Edition, outlet: Outlet) -> str:
        """The events calendar: a page that is not an article."""
        events = [
            (event, edition.start + timedelta(days=event.days_from_start))
            for event in edition.catalog.events
        ]
        return self._render("events.html", edition, outlet, events=events)

    def private_draft(self, edition: Edition) -> str:
        """The embargoed draft robots.txt forbids crawling."""
        return self._render("private.html", edition, None)

    def not_found(self, edition: Edition, path: str) -> str:
        """The 404 page."""
        return self._render("not-found.html", edition, None, path=path)

    def _render(self, name: str, edition: Edition, outlet: Outlet | None, **context: Any) -> str:
        template = self._env.get_template(name)
        return template.render(
            edition=edition,
            outlet=outlet,
            network=[(o, edition.url(o.home_path)) for o in edition.catalog.outlets],
            notice=SAMPLE_NOTICE,
            **context,
        )


def news_article_json_ld(item: PublishedStory) -> dict[str, Any]:
    """The schema.org ``NewsArticle`` of an article page (with ``articleBody`` when asked)."""
    story, outlet = item.story, item.outlet
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.summary,
        "url": item.url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": item.url},
        "datePublished": w3c_date(item.published, outlet),
        "dateModified": w3c_date(item.updated, outlet),
        "author": [{"@type": "Person", "name": story.author}],
        "publisher": {"@type": "Organization", "name": outlet.name},
        "articleSection": story.section,
        "keywords": list(story.tags),
        "inLanguage": "en",
        "isAccessibleForFree": True,
    }
    if story.json_ld_body:
        data["articleBody"] = story.text
    return data


def rfc822_date(moment: datetime) -> str:
    """An RFC 822 date as RSS wants it (``Fri, 20 Nov 2026 12:00:00 +0000``)."""
    return format_datetime(moment.astimezone(UTC))


def w3c_date(moment: datetime, outlet: Outlet | None = None) -> str:
    """An ISO 8601 / W3C datetime, in the outlet's zone when given, else UTC with ``Z``."""
    if outlet is not None and outlet.utc_offset_minutes:
        return moment.astimezone(outlet.zone).isoformat()
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def shown_date(moment: datetime, outlet: Outlet) -> str:
    """A date as the outlet prints it on its pages, in its own time zone."""
    return moment.astimezone(outlet.zone).strftime(outlet.date_format)


def _latest(edition: Edition, entries: tuple[FeedItem, ...]) -> datetime:
    return edition.last_change([entry.updated for entry in entries])
