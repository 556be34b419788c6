"""The sample news site behind ``newsmon demo``: served for real on 127.0.0.1, fetched over HTTP.

A fake clock decides what is published; feeds, sitemap and pages are parsed with the same
libraries the crawler and pipeline use (feedparser, lxml, parsel, trafilatura).
"""

from __future__ import annotations

import gzip
import html
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.client import HTTPConnection, HTTPException
from importlib import resources
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import feedparser
import httpx
import pytest
from lxml import etree
from parsel import Selector

from newsmon.demo import SAMPLE_NOTICE, PublishedStory, SampleNewsSite, load_catalog
from newsmon.demo.catalog import DemoDataError, build_catalog
from newsmon.demo.responses import accepts_gzip, etag_matches, is_not_modified
from pipeline.dates import from_struct_time, parse_iso_datetime
from pipeline.urls import canonicalize_url
from tests.support.clock import ManualClock

NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def clock(fixed_now: datetime) -> ManualClock:
    return ManualClock(fixed_now)


@pytest.fixture
def site(clock: ManualClock) -> Iterator[SampleNewsSite]:
    with SampleNewsSite(clock=clock, start=clock.now) as running:
        yield running


@pytest.fixture
def client(site: SampleNewsSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, trust_env=False, timeout=10) as http:
        yield http


def visible(site: SampleNewsSite, outlet: str, *, with_page: bool = False) -> list[PublishedStory]:
    return [
        item
        for item in site.published_stories()
        if item.outlet.key == outlet and (item.has_page or not with_page)
    ]


def story(site: SampleNewsSite, slug: str) -> PublishedStory:
    return next(item for item in site.scheduled_stories() if item.story.slug == slug)


def json_ld(page: str) -> dict[str, object]:
    data = json.loads(Selector(page).css('script[type="application/ld+json"]::text').get() or "")
    assert isinstance(data, dict)
    return data


# --- sources and schedule ------------------------------------------------------------------------


def test_sources_cover_the_four_ways_of_polling(site: SampleNewsSite) -> None:
    sources = [(s.name, s.kind, s.url, s.link_selector) for s in site.sources()]

    assert sources == [
        ("circuit-wire", "feed", site.url("/wire/rss.xml"), None),
        ("harbor-ledger", "feed", site.url("/ledger/tech/atom.xml"), None),
        ("northgate-signal", "sitemap", site.url("/signal/news-sitemap.xml"), None),
        ("lab-notes", "page", site.url("/labs/"), "ul.post-list li.post-card h2 a"),
    ]
    assert site.base_url.startswith("http://127.0.0.1:")
    assert all(s.interval_seconds > 0 and s.weight > 0 for s in site.sources())


def test_eighteen_stories_are_out_at_start_and_six_arrive_within_twelve_minutes(
    site: SampleNewsSite, fixed_now: datetime
) -> None:
    later = [item for item in site.scheduled_stories() if item.published > fixed_now]

    assert len(site.published_stories()) == 18
    assert [(item.outlet.key, item.published - fixed_now) for item in reversed(later)] == [
        ("wire", timedelta(minutes=2)),
        ("ledger", timedelta(minutes=3)),
        ("labs", timedelta(minutes=5)),
        ("labs", timedelta(minutes=8)),
        ("ledger", timedelta(minutes=9)),
        ("signal", timedelta(minutes=11)),
    ]


# --- feeds and sitemap ---------------------------------------------------------------------------


def test_rss_feed_lists_exactly_the_visible_wire_stories_with_full_text(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    response = client.get("/wire/rss.xml")
    feed = feedparser.parse(response.content)
    expected = visible(site, "wire")

    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert (feed.version, feed.bozo) == ("rss20", False)
    assert [entry.link for entry in feed.entries] == [item.url for item in expected]
    for entry, item in zip(feed.entries, expected, strict=True):
        assert entry.id == f"tag:circuit-wire.example,2026:{item.story.slug}"
        assert from_struct_time(entry.published_parsed) == item.published
        assert entry.author == item.story.author
        assert item.story.blocks[0].texts[0] in html.unescape(entry.content[0].value)


def test_atom_feed_lists_ledger_summaries_and_a_syndicated_wire_copy(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    response = client.get("/ledger/tech/atom.xml")
    feed = feedparser.parse(response.content)
    amazon = story(site, "amazon-north-carolina-ai-data-centre")
    links = [entry.link for entry in feed.entries]

    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert (feed.version, feed.bozo) == ("atom10", False)
    assert set(links) == {item.url for item in visible(site, "ledger")} | {
        amazon.url
        + "?utm_source=harbor-ledger&utm_medium=syndication&utm_campaign=circuit-wire-partner"
    }
    syndicated = next(link for link in links if "utm_source" in link)
    assert canonicalize_url(syndicated) == canonicalize_url(amazon.url)
    assert all("content" not in entry for entry in feed.entries)
    alibaba = story(site, "alibaba-shares-gain-qwen-4-launch")
    entry = next(e for e in feed.entries if e.link == alibaba.url)
    assert from_struct_time(entry.published_parsed) == alibaba.published
    assert from_struct_time(entry.updated_parsed) == alibaba.published + timedelta(hours=2)


def test_news_sitemap_lists_visible_signal_stories_with_news_tags(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    response = client.get("/signal/news-sitemap.xml")
    urls = etree.fromstring(response.content).findall(f"{SITEMAP}url")
    expected = visible(site, "signal")

    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert [url.findtext(f"{SITEMAP}loc") for url in urls] == [item.url for item in expected]
    for url, item in zip(urls, expected, strict=True):
        news = url.find(f"{NEWS}news")
        assert news.findtext(f"{NEWS}title") == item.title
        assert parse_iso_datetime(news.findtext(f"{NEWS}publication_date")) == item.published
        assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Northgate Signal"
        assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"


def test_labs_section_selector_picks_articles_events_and_the_private_draft(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    page = client.get("/labs/").text
    selector = site.sources()[3].link_selector or ""

    hrefs = Selector(page).css(selector + "::attr(href)").getall()

    assert [urljoin(site.url("/labs/"), href) for href in hrefs] == [
        site.url("/labs/events/"),
        site.url("/private/drafts/muse-family-roadmap/"),
        *(item.url for item in visible(site, "labs", with_page=True)),
    ]
    assert all(href.startswith("/") for href in hrefs)


# --- pages ---------------------------------------------------------------------------------------


def test_article_pages_carry_canonical_open_graph_json_ld_and_byline(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    pages = [item for item in site.published_stories() if item.has_page]
    assert len(pages) == 17

    for item in pages:
        response = client.get(item.url)
        page = Selector(response.text)
        data = json_ld(response.text)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert page.xpath("/html/@lang").get() == "en"
        assert page.css("title::text").get() == f"{item.title} | {item.outlet.name}"
        assert page.css("link[rel=canonical]::attr(href)").get() == item.url
        assert page.css('meta[property="og:title"]::attr(content)').get() == item.title
        assert page.css(".byline .author::text").get() == item.story.author
        assert (data["@type"], data["headline"]) == ("NewsArticle", item.title)
        assert parse_iso_datetime(str(data["datePublished"])) == item.published
        assert data["author"] == [{"@type": "Person", "name": item.story.author}]
        assert ("articleBody" in data) is item.story.json_ld_body
        assert SAMPLE_NOTICE in page.css(".site-footer .sample-notice::text").get("")


def test_ledger_pages_show_eastern_time(site: SampleNewsSite, client: httpx.Client) -> None:
    oracle = story(site, "oracle-jumps-openai-stargate-expansion")  # 06:00 UTC
    page = client.get(oracle.url).text

    assert oracle.path == "/ledger/tech/20261120/oracle-jumps-openai-stargate-expansion.html"
    assert json_ld(page)["datePublished"] == "2026-11-20T01:00:00-05:00"
    assert Selector(page).css(".dateline time::text").get() == "Nov 20, 2026 01:00 AM ET"


def test_story_released_later_appears_everywhere_when_the_clock_reaches_it(
    site: SampleNewsSite, client: httpx.Client, clock: ManualClock
) -> None:
    databricks = story(site, "databricks-spark-pilot-agents")

    assert client.get(databricks.url).status_code == 404
    assert databricks.url not in client.get("/wire/rss.xml").text

    clock.now = databricks.published
    feed = feedparser.parse(client.get("/wire/rss.xml").content)

    assert client.get(databricks.url).status_code == 200
    assert feed.entries[0].link == databricks.url
    assert site.published_stories()[0] == databricks


def test_feed_only_story_page_is_404_but_its_feed_entry_keeps_the_text(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    mistral = story(site, "mistral-ai-raises-3-4-billion-euros")
    feed = feedparser.parse(client.get("/wire/rss.xml").content)
    entry = next(e for e in feed.entries if e.link == mistral.url)
    response = client.get(mistral.url)

    assert (response.status_code, response.headers["content-type"]) == (
        404,
        "text/html; charset=utf-8",
    )
    assert "ASML shares rose 1.2% in Amsterdam." in html.unescape(entry.content[0].value)


def test_tracking_parameters_serve_the_same_page_with_the_clean_canonical(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    amazon = story(site, "amazon-north-carolina-ai-data-centre")
    target = urlsplit(amazon.url).path + "?utm_source=harbor-ledger&utm_medium=syndication"
    page = client.get(target).text

    assert Selector(page).css("link[rel=canonical]::attr(href)").get() == amazon.url
    assert page == client.get(amazon.url).text
    assert target in site.requests.paths()


def test_events_page_is_not_an_article(client: httpx.Client) -> None:
    page = Selector(client.get("/labs/events/").text)

    assert page.css('script[type="application/ld+json"]').get() is None
    assert page.css('meta[property="og:type"]::attr(content)').get() == "website"
    assert page.css("table.events tbody tr td:nth-child(2)::text").getall() == [
        "Open Weights Summit",
        "Lab Notes Live: Evals Night",
        "AI Policy Forum",
        "Inference Hardware Day",
    ]


def test_robots_txt_disallows_the_private_path_the_labs_page_links_to(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    robots = RobotFileParser()
    robots.parse(client.get("/robots.txt").text.splitlines())
    private = site.url("/private/drafts/muse-family-roadmap/")

    assert not robots.can_fetch("newsmon", private)
    assert all(robots.can_fetch("newsmon", item.url) for item in site.published_stories())
    assert robots.site_maps() == [site.url("/signal/news-sitemap.xml")]
    assert 'href="/private/drafts/muse-family-roadmap/"' in client.get("/labs/").text


def test_unknown_paths_are_404_and_section_paths_without_slash_redirect(
    client: httpx.Client, site: SampleNewsSite
) -> None:
    assert client.get("/wire/2026/11/20/no-such-story").status_code == 404
    redirect = client.get("/labs")
    assert (redirect.status_code, redirect.headers["location"]) == (301, site.url("/labs/"))


def test_trafilatura_extracts_the_story_without_the_boilerplate(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    trafilatura = pytest.importorskip("trafilatura")
    item = story(site, "meta-unveils-muse-spark")
    text = trafilatura.extract(client.get(item.url).text, url=item.url)

    for block in item.story.blocks:
        assert all(part in text for part in block.texts)
    for boilerplate in ("We use cookies", "morning briefing", "More from", SAMPLE_NOTICE):
        assert boilerplate not in text


# --- HTTP behaviour ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "next_release_minutes"),
    [
        ("/wire/rss.xml", 2),
        ("/ledger/tech/atom.xml", 3),
        ("/labs/", 5),
        ("/signal/news-sitemap.xml", 11),
    ],
)
def test_poll_urls_answer_304_until_a_new_story_is_released(
    client: httpx.Client,
    clock: ManualClock,
    fixed_now: datetime,
    path: str,
    next_release_minutes: int,
) -> None:
    first = client.get(path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]

    by_etag = client.get(path, headers={"If-None-Match": etag})
    by_date = client.get(path, headers={"If-Modified-Since": last_modified})
    assert (first.status_code, by_etag.status_code, by_date.status_code) == (200, 304, 304)
    assert by_etag.content == b"" and by_etag.headers["etag"] == etag

    clock.now = fixed_now + timedelta(minutes=next_release_minutes) - timedelta(seconds=1)
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    clock.now = fixed_now + timedelta(minutes=next_release_minutes)
    after = client.get(path, headers={"If-None-Match": etag, "If-Modified-Since": last_modified})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert parsedate_to_datetime(after.headers["last-modified"]) == clock.now


def test_gzip_is_served_only_when_the_client_accepts_it(site: SampleNewsSite) -> None:
    def fetch(encoding: str) -> tuple[dict[str, str], bytes]:
        request = urllib.request.Request(
            site.url("/wire/rss.xml"), headers={"Accept-Encoding": encoding}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            return {k.lower(): v for k, v in response.headers.items()}, response.read()

    zipped_headers, zipped = fetch("gzip, deflate, br")
    plain_headers, plain = fetch("identity")

    assert zipped_headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain_headers
    assert gzip.decompress(zipped) == plain
    assert int(zipped_headers["content-length"]) == len(zipped) < len(plain)
    assert zipped_headers["vary"] == plain_headers["vary"] == "Accept-Encoding"
    assert zipped_headers["etag"] != plain_headers["etag"]


def test_head_sends_the_headers_of_a_get_without_a_body(site: SampleNewsSite) -> None:
    connection = HTTPConnection(urlsplit(site.base_url).netloc, timeout=10)
    try:
        connection.request("HEAD", "/labs/")
        head = connection.getresponse()
        head_body = head.read()
        connection.request("GET", "/labs/")
        get = connection.getresponse()
        get_body = get.read()
    finally:
        connection.close()

    assert (head.status, head_body) == (200, b"")
    assert head.getheader("content-length") == str(len(get_body))
    assert head.getheader("etag") == get.getheader("etag")


def test_requests_are_recorded_with_method_path_and_headers(
    site: SampleNewsSite, client: httpx.Client
) -> None:
    client.get("/wire/rss.xml?x=1", headers={"User-Agent": "newsmon-test/1"})

    method, path, headers = site.requests.snapshot()[-1]
    assert (method, path, headers["user-agent"]) == ("GET", "/wire/rss.xml?x=1", "newsmon-test/1")
    site.requests.clear()
    assert len(site.requests) == 0


def test_stop_closes_the_port_and_kept_alive_connections(clock: ManualClock) -> None:
    site = SampleNewsSite(clock=clock)
    with pytest.raises(RuntimeError):
        _ = site.base_url
    base_url = site.start()
    with pytest.raises(RuntimeError):
        site.start()
    connection = HTTPConnection(urlsplit(base_url).netloc, timeout=5)
    try:
        connection.request("GET", "/robots.txt")
        assert connection.getresponse().read().startswith(b"# Sample data")
        site.stop()
        site.stop()
        with pytest.raises((HTTPException, OSError)):
            connection.request("GET", "/robots.txt")
            connection.getresponse()
    finally:
        connection.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/", trust_env=False)


def test_conditional_request_rules() -> None:
    modified = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    since = {"if-modified-since": "Fri, 20 Nov 2026 12:00:00 GMT"}

    assert etag_matches('W/"a", "b"', '"b"') and etag_matches("*", '"z"')
    assert not etag_matches('"a"', '"b"')
    assert is_not_modified(since, '"b"', modified)
    assert not is_not_modified({**since, "if-none-match": '"a"'}, '"b"', modified)
    assert not is_not_modified(since, '"b"', modified + timedelta(seconds=1))
    assert not is_not_modified({"if-modified-since": "garbage"}, '"b"', modified)
    assert accepts_gzip("deflate, gzip;q=0.5") and not accepts_gzip("gzip;q=0, br")


# --- the data ------------------------------------------------------------------------------------


def test_stories_are_newsroom_length_and_dated_around_the_start() -> None:
    catalog = load_catalog()

    assert len(catalog.stories) == 24
    assert [len(catalog.stories_of(o.key)) for o in catalog.outlets] == [7, 6, 6, 5]
    assert all(250 <= item.word_count <= 700 for item in catalog.stories)
    assert all(
        timedelta(days=-2) < item.offset <= timedelta(minutes=15) for item in catalog.stories
    )
    assert [item.slug for item in catalog.stories if not item.has_page] == [
        "mistral-ai-raises-3-4-billion-euros"
    ]


def test_the_same_events_are_covered_by_two_or_three_outlets() -> None:
    clusters: dict[str, set[str]] = {}
    for item in load_catalog().stories:
        if item.cluster:
            clusters.setdefault(item.cluster, set()).add(item.outlet)

    assert clusters == {
        "muse-spark-launch": {"wire", "ledger", "signal"},
        "nvidia-anthropic-supply": {"wire", "ledger"},
        "deepseek-v4": {"wire", "signal"},
        "gemini-3-5-pro": {"wire", "labs"},
        "eu-ai-act-review": {"signal", "labs"},
        "qwen-4-release": {"ledger", "signal"},
    }


@pytest.mark.parametrize(
    "phrase",
    [
        "Shares of Nvidia fell 4.1%",
        "Meta's stock rising following the announcement",
        "Alphabet (NASDAQ: GOOGL) climbed 2% in premarket trading",
        "The stock was little changed",
        "NVDA -3.2%",
        "(NYSE: BABA) rose 3.9%",
        "Amazon.com Inc. shares slid 2.3 percent",
        "$MSFT",
        "valuation rose about 2.3 times",
        "rose to first place on the WebDev Arena leaderboard",
        "my sister is a Gemini",
        "apple pie",
        "Apache Spark",
        "Apache 2.0 licence",
    ],
)
def test_the_text_exercises_the_tagger(phrase: str) -> None:
    assert any(phrase in item.text for item in load_catalog().stories)


def test_data_files_are_marked_as_sample_data() -> None:
    folder = resources.files("newsmon.demo").joinpath("stories")
    headers = [entry.read_text(encoding="utf-8").splitlines()[0] for entry in folder.iterdir()]

    assert headers and all(line == f"# {SAMPLE_NOTICE}" for line in headers)


def test_malformed_data_is_rejected_with_the_place_of_the_error() -> None:
    outlet = {
        "key": "x", "position": 1, "name": "X", "tagline": "t", "source_name": "x",
        "poll_format": "rss", "poll_path": "/x/rss.xml", "home_path": "/x/",
        "article_path": "/x/{slug}", "utc_offset_minutes": 0, "date_format": "%Y",
        "weight": 1, "interval_seconds": 60,
    }  # fmt: skip
    body = "One paragraph.\n\n## A heading\n\n- one\n- two"
    good = {"slug": "s", "title": "T", "summary": "S", "author": "A", "section": "S",
            "tags": [], "offset_minutes": 0, "body": body}  # fmt: skip

    catalog = build_catalog({"x.toml": {"outlet": outlet, "stories": [good]}})
    assert [b.kind for b in catalog.stories[0].blocks] == ["p", "h2", "ul"]
    with pytest.raises(DemoDataError, match="duplicate stories: x/s"):
        build_catalog({"x.toml": {"outlet": outlet, "stories": [good, good]}})
    with pytest.raises(DemoDataError, match="'offset_minutes' has the wrong type"):
        build_catalog({"x.toml": {"outlet": outlet, "stories": [{**good, "offset_minutes": True}]}})
    with pytest.raises(DemoDataError, match="unknown poll_format"):
        build_catalog({"x.toml": {"outlet": {**outlet, "poll_format": "gopher"}}})
