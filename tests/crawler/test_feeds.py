"""parse_feed against the 40 real feeds in ../shared/data/feeds and against hostile documents."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.feeds import parse_feed
from crawler.types import ParsedFeed, ParseFailure
from pipeline.dates import EARLIEST_PLAUSIBLE, FUTURE_TOLERANCE
from tests.conftest import shared_data_dir
from tests.support.http import RouteServer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BASE = "https://feeds.example.com/"


@dataclass(frozen=True)
class Expect:
    """What a real feed must give: an entry count, or a failure whose reason contains ``fails``."""

    entries: int | None = None
    fails: str | None = None
    format: str | None = None


EXPECTED: dict[str, Expect] = {
    "miniflux/encoding_ISO-8859-1.xml": Expect(40, format="rss20"),
    "miniflux/encoding_WINDOWS-1251.xml": Expect(50, format="rss20"),
    "miniflux/no_encoding_ISO-8859-1.xml": Expect(9, format="rss20"),  # 10 items, one empty
    "miniflux/rdf_UTF8.xml": Expect(60, format="rss090"),
    "miniflux/urdu_UTF8.xml": Expect(26, format="rss20"),
    "miniflux/large_atom.xml": Expect(25, format="atom10"),
    "miniflux/large_rss.xml": Expect(25, format="rss20"),
    "miniflux/small_atom.xml": Expect(20, format="atom10"),
    "miniflux/utf8-incorrect-prolog.xml": Expect(0, format="atom"),  # its one entry has no link
    "feedjira/TechCrunch.xml": Expect(20, format="rss20"),
    "feedjira/HuffPostCanada.xml": Expect(2, format="rss20"),
    "feedjira/google_alerts_atom.xml": Expect(20, format="atom10"),
    "feedjira/youtube_atom.xml": Expect(15, format="atom10"),
    "feedjira/InvalidDateFormat.xml": Expect(2, format="rss20"),
    "feedjira/DuplicateContentAtomFeed.xml": Expect(10, format="atom10"),
    "feedjira/SamRuby.xml": Expect(20, format="atom10"),
    "feedjira/CRE.xml": Expect(30, format="rss20"),
    "feedjira/a10.xml": Expect(5, format="rss20"),
    "feedjira/FeedBurnerXHTML.xml": Expect(10, format="atom10"),
    "netnewswire/phpxml.rss": Expect(20, format="rss20"),
    "netnewswire/kc0011.rss": Expect(20, format="rss20"),
    "netnewswire/aktuality.rss": Expect(30, format="rss20"),
    "netnewswire/livemint.xml": Expect(25, format="rss20"),
    "netnewswire/cloudblog.rss": Expect(20, format="rss20"),
    "netnewswire/bio.rdf": Expect(30, format="rss10"),
    "netnewswire/pappacoda.atom": Expect(3, format="atom10"),
    "netnewswire/OneFootTsunami.atom": Expect(25, format="atom10"),
    "netnewswire/macworld.rss": Expect(30, format="rss20"),
    "netnewswire/theomnishow.rss": Expect(4, format="rss20"),
    "netnewswire/DaringFireball.rss": Expect(47, format="atom10"),
    "netnewswire/russcox.atom": Expect(19, format="atom10"),
    "netnewswire/atp.rss": Expect(100, format="rss20"),
    "feedparser/illformed_rss_incomplete_cdata.xml": Expect(
        fails="not well-formed XML at line 5: XML or text declaration not at start of entity"
    ),
    "feedparser/illformed_always_strip_doctype.xml": Expect(0, format="rss"),
    "feedparser/illformed_undeclared_namespace.xml": Expect(
        fails="not well-formed XML at line 8: unbound prefix"
    ),
    "feedparser/illformed_chardet_big5.xml": Expect(0, format="atom10"),
    "feedparser/encoding_utf-16le-bom.xml": Expect(0, format="rss"),
    "feedparser/wellformed_sanitize_large_atom_feed_that_needs_css_sanitisation.xml": Expect(
        15, format="atom10"
    ),
    "reader/relative.atom": Expect(1, format="atom10"),
    "reader/relative.rss": Expect(1, format="rss20"),
}


def _manifest() -> list[dict[str, Any]]:
    try:
        path = shared_data_dir() / "feeds" / "manifest.json"
    except RuntimeError:
        return []
    return list(json.loads(path.read_text(encoding="utf-8")))


MANIFEST = _manifest()


def read_feed(shared_data: Path, name: str, url: str | None = None, **options: Any) -> ParsedFeed:
    """Parse one shared feed and insist that it parsed."""
    body = (shared_data / "feeds" / name).read_bytes()
    result = parse_feed(body, url or BASE + name, now=NOW, **options)
    assert isinstance(result, ParsedFeed), result
    return result


def feed_of(*items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    """A small RSS 2.0 document around ``items``."""
    return (
        f'{declaration}<rss version="2.0"><channel><title>T</title>{"".join(items)}</channel></rss>'
    )


def item(title: str, link: str = "https://example.com/a", extra: str = "") -> str:
    return f"<item><title>{title}</title><link>{link}</link>{extra}</item>"


def assert_sane(feed: ParsedFeed) -> None:
    """Invariants every parsed feed keeps, whatever the input."""
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://")), entry.url
        assert not any(char.isspace() for char in entry.url), entry.url
        for value in (entry.published, entry.updated):
            if value is not None:
                assert value.tzinfo is not None and value.utcoffset() == UTC.utcoffset(value)
                assert EARLIEST_PLAUSIBLE <= value <= NOW + FUTURE_TOLERANCE
        for text in (entry.title, entry.summary, *entry.authors, *entry.tags):
            assert text is None or ("\x00" not in text and text == text.strip())


# --- the 40 real feeds --------------------------------------------------------------------


def test_manifest_lists_the_forty_feeds(shared_data: Path) -> None:
    assert len(MANIFEST) == 40
    assert {entry["path"] for entry in MANIFEST} == set(EXPECTED)


@pytest.mark.parametrize("record", MANIFEST, ids=[entry["path"] for entry in MANIFEST])
def test_every_real_feed_parses_or_fails_readably(
    shared_data: Path, record: dict[str, Any]
) -> None:
    expect = EXPECTED[record["path"]]
    body = (shared_data / "feeds" / record["path"]).read_bytes()
    assert len(body) == record["bytes"]
    started = time.perf_counter()
    result = parse_feed(body, BASE + record["path"], now=NOW)
    assert time.perf_counter() - started < 5.0
    if expect.fails is not None:
        assert isinstance(result, ParseFailure)
        assert expect.fails in result.reason
        return
    assert isinstance(result, ParsedFeed), result
    assert len(result.entries) == expect.entries
    assert result.format == expect.format
    assert_sane(result)


def test_declared_iso_8859_1_keeps_german_umlauts(shared_data: Path) -> None:
    feed = read_feed(shared_data, "miniflux/encoding_ISO-8859-1.xml")
    assert feed.encoding == "iso8859-1"
    text = " ".join(f"{e.title} {e.summary}" for e in feed.entries)
    assert "ü" in text and "ä" in text and "ö" in text
    assert "Ã" not in text and "\ufffd" not in text
    assert (
        feed.entries[0].title
        == "Red Dead Redemption 2: Hinweise auf PC-Umsetzung in App von Rockstar Games"
    )
    assert feed.entries[0].language == "de"


def test_declared_windows_1251_is_cyrillic(shared_data: Path) -> None:
    feed = read_feed(shared_data, "miniflux/encoding_WINDOWS-1251.xml")
    assert feed.encoding == "cp1251"
    assert feed.entries[0].title == "Цитата #17703"
    assert "есть у кого" in (feed.entries[0].summary or "")


def test_undeclared_latin_1_is_detected_and_the_http_charset_is_used(shared_data: Path) -> None:
    guessed = read_feed(shared_data, "miniflux/no_encoding_ISO-8859-1.xml")
    text = " ".join(f"{e.title} {e.summary}" for e in guessed.entries)
    assert "Perturbateurs endocriniens" in text and "é" in text and "à" in text
    assert "\ufffd" not in text and "ŕ" not in text  # cp1250 would turn à into ŕ
    assert any("entry 4 has no http(s) link" in w for w in guessed.warnings)
    declared = read_feed(
        shared_data,
        "miniflux/no_encoding_ISO-8859-1.xml",
        content_type="text/xml; charset=ISO-8859-1",
    )
    assert declared.encoding == "iso8859-1"
    assert [e.title for e in declared.entries] == [e.title for e in guessed.entries]
    assert not any("guessed" in w for w in declared.warnings)


def test_prolog_that_lies_about_latin_1_is_read_as_utf_8(shared_data: Path) -> None:
    feed = read_feed(shared_data, "miniflux/utf8-incorrect-prolog.xml")
    assert feed.title == "테스트 피드"
    assert feed.encoding == "utf-8"
    assert any("declared as ISO-8859-1 but the bytes are UTF-8" in w for w in feed.warnings)
    assert any("'Café'" in w and "no http(s) link" in w for w in feed.warnings)


def test_gb2312_declared_gbk_content_is_chinese_with_slash_dates(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/kc0011.rss")
    assert feed.title == "投资资讯网交易在线--流通纪念币最新20篇论坛主题-全文"
    assert feed.encoding == "gb18030"
    first = feed.entries[0]
    assert first.title == "建国35周年纪念，华表，和平鸽"
    assert first.published == datetime(2020, 1, 10, 14, 33, tzinfo=UTC)  # feedparser says Nov 1


def test_undeclared_big5_is_guessed(shared_data: Path) -> None:
    feed = read_feed(shared_data, "feedparser/illformed_chardet_big5.xml")
    assert feed.encoding == "big5"
    assert (feed.title or "").startswith("我希望")


def test_utf_16_le_with_bom(shared_data: Path) -> None:
    feed = read_feed(shared_data, "feedparser/encoding_utf-16le-bom.xml")
    assert feed.encoding == "utf-16-le"
    assert feed.warnings == ()
    document = feed_of(item("Über Ünïcode", "https://example.com/u"), declaration="")
    result = parse_feed(b"\xff\xfe" + document.encode("utf-16-le"), BASE, now=NOW)
    assert isinstance(result, ParsedFeed)
    assert [e.title for e in result.entries] == ["Über Ünïcode"]


def test_other_languages_decode(shared_data: Path) -> None:
    urdu = read_feed(shared_data, "miniflux/urdu_UTF8.xml")
    assert urdu.entries[0].title and "امریکی" in urdu.entries[0].title
    slovak = read_feed(shared_data, "netnewswire/aktuality.rss")
    assert all(entry.title for entry in slovak.entries)
    assert slovak.title == "Aktuality.sk - aktuálne spravodajstvo"
    russian = read_feed(
        shared_data,
        "feedparser/wellformed_sanitize_large_atom_feed_that_needs_css_sanitisation.xml",
    )
    assert russian.entries[0].title == "Невидимая броня для Вашего Nokia 5800"


def test_relative_urls_resolve_against_the_feed_url(shared_data: Path) -> None:
    atom = read_feed(shared_data, "reader/relative.atom", "https://example.com/feeds/relative.atom")
    entry = atom.entries[0]
    assert atom.link == "https://example.com/feeds/file.html"
    assert entry.url == "https://example.com/feeds/entries/entry.html"
    assert entry.guid == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert entry.summary == "one two three"
    assert entry.content_html == "content"  # the text/html content, sanitised (no <script>)
    rss = read_feed(shared_data, "reader/relative.rss", "https://example.com/feeds/relative.rss")
    assert rss.entries[0].url == "https://example.com/feeds/blog/post/1"
    assert rss.entries[0].guid == "https://example.com/feeds/7bd204c6-1655-4c27-aeee-53f933c5395f"


def test_root_relative_links_without_xml_base(shared_data: Path) -> None:
    feed = read_feed(shared_data, "feedjira/SamRuby.xml", "http://intertwingly.net/blog/index.atom")
    assert feed.entries[0].url == "http://intertwingly.net/blog/2013/01/30/Plex"
    assert all(e.url.startswith("http://intertwingly.net/blog/") for e in feed.entries)
    assert any("blank lines before the XML declaration" in w for w in feed.warnings)


def test_feed_level_xml_base_resolves_links_and_images(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/pappacoda.atom")
    assert [e.url for e in feed.entries] == [
        "https://andrea.pappacoda.it/blog/favicon_2026/",
        "https://andrea.pappacoda.it/blog/tesi.pdf",  # its only alternate link
        "https://andrea.pappacoda.it/blog/c_su_windows/",
    ]
    assert 'src="https://andrea.pappacoda.it/blog/c_su_windows/clangd_path.png"' in (
        feed.entries[2].content_html or ""
    )
    assert feed.entries[0].language == "it"


def test_empty_hrefs_do_not_become_the_xml_base(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/OneFootTsunami.atom")
    urls = [entry.url for entry in feed.entries]
    assert "http://onefoottsunami.com/wp-atom.php" not in urls
    assert "http://onefoottsunami.com/?p=14848" in urls  # the http(s) id stands in
    assert urls[0].startswith("http://www.nytimes.com/2015/09/05/")
    assert feed.entries[0].title == "Link: Pillow Fight Leaves 24 Concussed"


def test_atom_in_a_file_named_rss(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/DaringFireball.rss")
    assert feed.format == "atom10"
    first = feed.entries[0]
    assert first.url.startswith("http://recode.net/2016/02/27/")
    assert first.authors == ("John Gruber",)
    assert first.published == datetime(2016, 2, 27, 21, 59, 47, tzinfo=UTC)


def test_feeds_without_guids(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/macworld.rss")
    assert all(entry.guid is None for entry in feed.entries)
    assert len({entry.url for entry in feed.entries}) == 30
    assert feed.entries[0].authors == ("Christopher Null",)


def test_cdata_links_dates_and_numeric_guids(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/livemint.xml")
    first = feed.entries[0]
    assert first.url.startswith("https://www.livemint.com/news/india/pm-modi-xi-jinping")
    assert first.published == datetime(2019, 5, 29, 10, 16, tzinfo=UTC)
    assert first.updated is None  # feedparser would copy the pubDate here
    # a guid without isPermaLink="false" is a permalink by default: feedparser resolves it
    assert first.guid == "https://feeds.example.com/netnewswire/1559104147038"


def test_empty_content_encoded_falls_back_to_the_description(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/atp.rss")
    assert all(entry.content_html and entry.content_html.strip() for entry in feed.entries)
    first = feed.entries[0]
    assert first.summary is not None and first.summary.startswith("Follow-up:")
    assert "<li>" in (first.content_html or "")
    assert first.image is not None and first.image.endswith("Artwork.jpg")  # itunes:image


def test_dates_in_odd_formats(shared_data: Path) -> None:
    a10 = read_feed(shared_data, "feedjira/a10.xml")
    assert a10.entries[0].url == "http://www.example.com/5"  # only an <a10:link>
    assert a10.entries[0].published == datetime(2020, 5, 14, 10, 0, 18, tzinfo=UTC)  # "... Z"
    rdf = read_feed(shared_data, "miniflux/rdf_UTF8.xml")
    assert all(e.published is None and e.updated is None for e in rdf.entries)
    assert rdf.entries[0].title == "OLED-TVs: Vorsichtsmaßnahmen gegen Einbrennen"


def test_truncated_feed_recovers_with_warnings(shared_data: Path) -> None:
    feed = read_feed(shared_data, "feedjira/InvalidDateFormat.xml")
    first, second = feed.entries
    assert first.published == datetime(2017, 10, 16, 15, 10, tzinfo=UTC)
    assert first.updated is None  # dc:date "1518478934" (feedparser reads July 2015)
    assert second.updated == datetime(2017, 10, 17, 22, 17, tzinfo=UTC)
    assert any(w.startswith("not well-formed XML at line 21") for w in feed.warnings)
    assert any("unparsable date '1518478934'" in w for w in feed.warnings)


def test_feed_inside_xhtml_and_doctype_stripping(shared_data: Path) -> None:
    embedded = read_feed(shared_data, "feedjira/DuplicateContentAtomFeed.xml")
    assert embedded.entries[0].title == "Down time"
    doctype = read_feed(shared_data, "feedparser/illformed_always_strip_doctype.xml")
    assert doctype.title == "found"
    assert doctype.warnings == ()


def test_media_images(shared_data: Path) -> None:
    huffpost = read_feed(shared_data, "feedjira/HuffPostCanada.xml")
    assert huffpost.entries[0].image == (
        "http://o.aolcdn.com/hss/storage/midas/b1726dd5e5cde1fb967d92d963537957/205775479/"
        "Untitled+design+%2857%29.png"
    )
    assert (
        huffpost.entries[0].title == "Winnipeg High School Orders Custom Hijabs For Muslim Athletes"
    )
    youtube = read_feed(shared_data, "feedjira/youtube_atom.xml")
    assert youtube.entries[0].image == "https://i2.ytimg.com/vi/5shykyfmb28/hqdefault.jpg"
    github = read_feed(shared_data, "miniflux/small_atom.xml")
    assert github.entries[0].image == "https://avatars.githubusercontent.com/u/323546?s=30&v=4"
    assert github.entries[0].language == "en-us"


def test_redirect_wrappers_and_html_titles(shared_data: Path) -> None:
    feed = read_feed(shared_data, "feedjira/google_alerts_atom.xml")
    assert not any("google.com/url" in entry.url for entry in feed.entries)
    first = feed.entries[0]
    assert first.url.startswith("https://www.aglobalmarketresearch.com/report-offers-prediction")
    assert first.title and first.title.startswith(
        "Report offers Prediction of Automotive Slack Market"
    )


def test_feedburner_original_links(shared_data: Path) -> None:
    feed = read_feed(shared_data, "feedjira/TechCrunch.xml")
    assert all(entry.url.startswith("http://techcrunch.com/2011/") for entry in feed.entries)
    assert feed.entries[0].authors == ("Leena Rao",)


def test_nested_author_title_does_not_replace_the_item_title(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/cloudblog.rss")
    titles = [entry.title for entry in feed.entries]
    assert titles[0] == "Want to keep your employees productive? Pay attention to shadow IT clues"
    assert "Product Manager, Office of the CTO" not in titles
    assert feed.entries[0].authors == ("Diane Chaleff",)


def test_atom_and_rss_twins_agree(shared_data: Path) -> None:
    atom = read_feed(shared_data, "miniflux/large_atom.xml")
    rss = read_feed(shared_data, "miniflux/large_rss.xml")
    assert [e.url for e in atom.entries] == [e.url for e in rss.entries]
    assert [e.title for e in atom.entries] == [e.title for e in rss.entries]
    assert [e.published for e in atom.entries] == [e.published for e in rss.entries]


def test_rss_1_0(shared_data: Path) -> None:
    feed = read_feed(shared_data, "netnewswire/bio.rdf")
    assert all(
        entry.title and entry.url.startswith("http://biorxiv.org/") for entry in feed.entries
    )


def test_max_entries_keeps_the_first(shared_data: Path) -> None:
    feed = read_feed(shared_data, "miniflux/large_rss.xml", max_entries=5)
    assert len(feed.entries) == 5
    assert "kept the first 5 of 25 entries" in feed.warnings


def test_incomplete_cdata_fails_fast(shared_data: Path) -> None:
    body = (shared_data / "feeds" / "feedparser/illformed_rss_incomplete_cdata.xml").read_bytes()
    started = time.perf_counter()
    result = parse_feed(body, BASE, now=NOW)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result, ParseFailure)


# --- documents that are not feeds ---------------------------------------------------------


def test_html_page_served_as_a_feed() -> None:
    page = b"<!DOCTYPE html><html><head><title>News</title></head><body><p>Hi</p></body></html>"
    result = parse_feed(page, BASE, now=NOW, content_type="text/html; charset=utf-8")
    assert result == ParseFailure("the document is an HTML page, not a feed")


def test_html_page_names_the_feed_it_advertises() -> None:
    page = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b"</head><body>news</body></html>"
    )
    result = parse_feed(page, "https://site.example/news/", now=NOW)
    assert isinstance(result, ParseFailure)
    assert result.reason == (
        "the document is an HTML page, not a feed; the page links to a feed at "
        "https://site.example/feed.xml"
    )


def test_html_fragment_served_as_html_and_feed_served_as_html() -> None:
    fragment = b"<div><p>Sorry, this page moved.</p></div>"
    result = parse_feed(fragment, BASE, now=NOW, content_type="text/html")
    assert result == ParseFailure("the document is an HTML page, not a feed")
    body = feed_of(item("Served as HTML")).encode()
    feed = parse_feed(body, BASE, now=NOW, content_type="text/html")
    assert isinstance(feed, ParsedFeed)
    assert [entry.title for entry in feed.entries] == ["Served as HTML"]


@pytest.mark.parametrize("body", [b"", b"   \n\t  "])
def test_empty_body(body: bytes) -> None:
    assert parse_feed(body, BASE, now=NOW) == ParseFailure("the document is empty")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "a PNG image"),
        (b"\x1f\x8b\x08\x00" + bytes(64), "gzip-compressed data"),
        (bytes(range(256)) * 4, "binary data"),
    ],
)
def test_binary_body(body: bytes, what: str) -> None:
    result = parse_feed(body, BASE, now=NOW)
    assert isinstance(result, ParseFailure)
    assert result.reason.startswith(f"the document is {what}, not a feed")


def test_xml_that_is_not_a_feed() -> None:
    sitemap = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>'
    result = parse_feed(sitemap, BASE, now=NOW)
    assert result == ParseFailure(
        "the document is XML but not a feed (its root element is <urlset>)"
    )


def test_a_path_as_body_is_never_opened() -> None:
    result = parse_feed(b"/etc/passwd", BASE, now=NOW)
    assert isinstance(result, ParseFailure)
    assert "root:" not in repr(result)


def test_input_that_crashes_feedparser_is_a_failure_value() -> None:
    # a stray </height> sends feedparser's lenient parser into int(None)
    body = (
        b'<rss version="2.0"><channel><item><title>x &nbsp;</title></height></item></channel></rss>'
    )
    result = parse_feed(body, BASE, now=NOW)
    assert isinstance(result, ParseFailure)
    assert result.reason.startswith("the feed is too broken to read (feedparser failed: TypeError")


# --- hostile XML --------------------------------------------------------------------------


def _laughs(levels: int = 10) -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)]
    return "".join(entities)


@pytest.mark.parametrize("newline", ["\n", ""])
def test_billion_laughs_is_refused_quickly(newline: str) -> None:
    document = (
        f'<?xml version="1.0"?>{newline}<!DOCTYPE rss [{newline}{_laughs()}{newline}]>{newline}'
        + feed_of(item("&lol9;"), declaration="")
    )
    started = time.perf_counter()
    result = parse_feed(document.encode(), BASE, now=NOW)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result, ParseFailure)
    assert "declares its own XML entities" in result.reason


def test_quadratic_blowup_is_refused_quickly() -> None:
    # feedparser's lenient parser expands this 50 KB document to 2.5 GB of text if let through
    document = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{"A" * 50_000}">\n]>\n'
        + feed_of(item("&a;" * 50_000), declaration="")
    )
    started = time.perf_counter()
    result = parse_feed(document.encode(), BASE, now=NOW)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result, ParseFailure)
    assert "entity-expansion" in result.reason


@pytest.mark.parametrize("target", ["file:///etc/passwd", "secret"])
def test_external_entity_to_a_local_file_is_not_read(tmp_path: Path, target: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    system_id = target if target.startswith("file:") else secret.as_uri()
    for layout in ("\n", ""):
        document = (
            f'<?xml version="1.0"?>{layout}<!DOCTYPE rss [{layout}'
            f'<!ENTITY xxe SYSTEM "{system_id}">{layout}]>{layout}'
            + feed_of(item("&xxe;", extra="<description>&xxe;</description>"), declaration="")
        )
        result = parse_feed(document.encode(), BASE, now=NOW)
        assert isinstance(result, ParseFailure)
        assert "TOP-SECRET" not in repr(result) and "root:" not in repr(result)


def test_external_entities_and_dtds_never_connect(server: RouteServer) -> None:
    dtd = server.url("/evil.dtd")
    documents = [
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{server.url("/entity")}">]>'
        + feed_of(item("&x;"), declaration=""),
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "{server.url("/param")}">'
        "\n%p;\n]>\n" + feed_of(item("t"), declaration=""),
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd}">'
        + feed_of(item("Plain"), declaration=""),
        f'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//X//DTD X//EN" "{dtd}">\n'
        + feed_of(item("Public"), declaration=""),
    ]
    results = [parse_feed(document.encode(), BASE, now=NOW) for document in documents]
    assert server.requests == []
    assert isinstance(results[0], ParseFailure) and isinstance(results[1], ParseFailure)
    # a DOCTYPE without entity declarations is harmless: parsed, the DTD never fetched
    assert [r.entries[0].title for r in results[2:] if isinstance(r, ParsedFeed)] == [
        "Plain",
        "Public",
    ]


# --- dates and text hygiene -------------------------------------------------------------


def test_absurd_years_are_dropped_with_warnings() -> None:
    dates = {
        "y1": "Mon, 01 Jan 0001 00:00:00 GMT",
        "y9999": "Fri, 31 Dec 9999 23:59:59 GMT",
        "y2400": "2400-01-01T00:00:00Z",
        "ok": "Tue, 10 Nov 2026 08:00:00 +0100",
        "garbage": "the day after tomorrow",
    }
    items = [
        item(name, f"https://example.com/{name}", f"<pubDate>{d}</pubDate>")
        for name, d in dates.items()
    ]
    result = parse_feed(feed_of(*items).encode(), BASE, now=NOW)
    assert isinstance(result, ParsedFeed)
    published = {entry.title: entry.published for entry in result.entries}
    assert published == {
        "y1": None,
        "y9999": None,
        "y2400": None,
        "ok": datetime(2026, 11, 10, 7, 0, tzinfo=UTC),
        "garbage": None,
    }
    assert (
        "entry 1 ('y1'): implausible date 'Mon, 01 Jan 0001 00:00:00 GMT' ignored"
        in result.warnings
    )
    assert any("'y2400'): implausible date" in w for w in result.warnings)
    assert any("unparsable date 'the day after tomorrow'" in w for w in result.warnings)


def test_nul_bytes_and_invalid_utf_8_in_titles() -> None:
    good = [item(f"Café {n} é", f"https://example.com/{n}") for n in range(10)]
    document = feed_of(*good).encode().replace(b"Caf\xc3\xa9 3 \xc3\xa9", b"Caf\xe9 3 \xff")
    document = document.replace(b"Caf\xc3\xa9 4", b"Bad\x00Title 4")
    result = parse_feed(document, BASE, now=NOW)
    assert isinstance(result, ParsedFeed)
    titles = [entry.title for entry in result.entries]
    assert titles[0] == "Café 0 é"
    assert titles[3] == "Caf\ufffd 3 \ufffd"
    assert titles[4] == "BadTitle 4 é"
    assert result.encoding == "utf-8"
    assert "2 invalid UTF-8 sequence(s) replaced with U+FFFD" in result.warnings
    assert "1 character(s) not allowed in XML (such as NUL) removed" in result.warnings


def test_http_charset_that_lies_about_utf_8_bytes() -> None:
    document = feed_of(item("Ünïcödé straße")).encode()
    result = parse_feed(document, BASE, now=NOW, content_type="text/xml; charset=ISO-8859-1")
    assert isinstance(result, ParsedFeed)
    assert result.entries[0].title == "Ünïcödé straße"


def test_entries_without_usable_links_are_skipped_and_counted() -> None:
    items = [
        item("relative", "/posts/1"),
        item("javascript", "javascript:alert(1)"),
        "<item><title>none</title></item>",
        "<item><title>mailto</title><link>mailto:a@example.com</link></item>",
    ]
    result = parse_feed(feed_of(*items).encode(), "https://blog.example/feed", now=NOW)
    assert isinstance(result, ParsedFeed)
    assert [e.url for e in result.entries] == ["https://blog.example/posts/1"]
    assert "entry 2 ('javascript') has no http(s) link; skipped" in result.warnings
    assert "entry 3 ('none') has no http(s) link; skipped" in result.warnings
    assert "entry 4 ('mailto') has no http(s) link; skipped" in result.warnings
