"""pick_article_links and validate_selector on section pages (CSS and XPath selectors)."""

from __future__ import annotations

import pytest

from crawler.sections import pick_article_links, validate_selector
from crawler.types import ParseFailure

PAGE_URL = "https://www.lab.example/news/"

NEWSROOM = b"""<!DOCTYPE html>
<html><head><title>Newsroom</title></head><body>
<nav><a href="/">Home</a><a href="/careers">Careers</a></nav>
<main>
  <article class="card"><a class="post" href="/news/muse-spark">
    <h2 class="title">Introducing Muse Spark</h2></a>
    <a class="author" href="https://www.lab.example/people/ann">Ann</a></article>
  <article class="card"><h2 class="title">
    <a class="post" href="gpt-lab-update#comments">Update</a></h2></article>
  <article class="card"><a class="post" href="https://blog.lab.example/research/paper">Paper</a></article>
  <article class="card"><a class="post" href="https://press.other.example/lab-story">Coverage</a></article>
  <article class="card"><a class="post" href="/news/muse-spark#top">Again</a></article>
  <article class="card"><a class="post" href="#">Top</a>
    <a class="post" href="javascript:void(0)">JS</a>
    <a class="post" href="mailto:press@lab.example">Mail</a><a class="post">No href</a>
    <a class="post" href="http://[broken-ipv6/x">Broken</a></article>
</main></body></html>"""


def links(body: bytes, selector: str, **options: object) -> tuple[str, ...]:
    result = pick_article_links(body, PAGE_URL, selector, **options)  # type: ignore[arg-type]
    assert not isinstance(result, ParseFailure), result
    return result


def test_css_selector_on_links() -> None:
    assert links(NEWSROOM, "a.post") == (
        "https://www.lab.example/news/muse-spark",
        "https://www.lab.example/news/gpt-lab-update",
        "https://blog.lab.example/research/paper",
    )


def test_other_sites_are_kept_when_asked() -> None:
    assert links(NEWSROOM, "css: a.post", same_site=False) == (
        "https://www.lab.example/news/muse-spark",
        "https://www.lab.example/news/gpt-lab-update",
        "https://blog.lab.example/research/paper",
        "https://press.other.example/lab-story",
    )


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("https://blogs.microsoft.com/blog/2026/11/ai", True),
        ("https://news.microsoft.com/source/ai", True),
        ("https://microsoft.com/en-us/ai/story", True),
        ("https://openai.com/index/story", False),
        ("https://microsoft.com.evil.example/story", False),
    ],
)
def test_same_site_means_the_registered_domain(link: str, kept: bool) -> None:
    page = f'<html><body><a href="{link}">x</a></body></html>'.encode()
    result = pick_article_links(page, "https://www.microsoft.com/en-us/ai", "a")
    assert result == ((link,) if kept else ())


def test_containers_give_the_links_inside_them() -> None:
    assert links(NEWSROOM, "article.card")[:2] == (
        "https://www.lab.example/news/muse-spark",
        "https://www.lab.example/people/ann",
    )


def test_an_element_inside_a_link_gives_that_link() -> None:
    assert links(NEWSROOM, "h2.title") == (
        "https://www.lab.example/news/muse-spark",
        "https://www.lab.example/news/gpt-lab-update",
    )


DIRECT = ("https://www.lab.example/news/muse-spark", "https://blog.lab.example/research/paper")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("//article/a[@class='post']", DIRECT),
        ("xpath: //article/a[@class='post']", DIRECT),
        ("(//article/a[@class='post'])", DIRECT),
        ("//article/a[@class='post']/@href", DIRECT),
        ("a.post::attr(href)", links(NEWSROOM, "a.post")),
    ],
)
def test_xpath_and_attribute_selectors(selector: str, expected: tuple[str, ...]) -> None:
    assert links(NEWSROOM, selector) == expected


def test_xpath_positional_selector() -> None:
    assert links(NEWSROOM, "(//a[@class='post'])[3]") == (
        "https://blog.lab.example/research/paper",
    )


def test_base_href_is_respected() -> None:
    page = b"""<html><head><base href="https://cdn.lab.example/blog/"></head><body>
    <a class="p" href="post-1">1</a><a class="p" href="/post-2">2</a>
    <a class="p" href="https://www.lab.example/post-3">3</a></body></html>"""
    assert links(page, "a.p") == (
        "https://cdn.lab.example/blog/post-1",
        "https://cdn.lab.example/post-2",
        "https://www.lab.example/post-3",
    )


def test_relative_base_href_resolves_against_the_page() -> None:
    page = b'<html><head><base href="/archive/"></head><body><a href="x">x</a></body></html>'
    assert links(page, "a") == ("https://www.lab.example/archive/x",)


def test_declared_encoding_and_meta_charset() -> None:
    page = '<html><body><a href="/новости/1">Новость</a></body></html>'.encode("cp1251")
    assert links(page, "a", encoding="windows-1251") == ("https://www.lab.example/новости/1",)
    with_meta = b'<html><head><meta charset="windows-1251"></head>' + page[6:]
    assert links(with_meta, "a") == ("https://www.lab.example/новости/1",)


def test_no_match_is_an_empty_result() -> None:
    assert links(NEWSROOM, "section.none a") == ()


@pytest.mark.parametrize("selector", ["xpath: count(//a)", "xpath: boolean(//a)", "//comment()"])
def test_matches_that_are_not_elements_give_no_links(selector: str) -> None:
    page = NEWSROOM.replace(b"<main>", b"<main><!-- cards -->")
    assert links(page, selector, same_site=False) == ()
    assert links(page, "//main/node()") == links(NEWSROOM, "main")  # comment and text skipped


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("a[", "invalid CSS selector 'a[': Expected ident or '*', got <EOF at 2>"),
        ("a::nope", "invalid CSS selector 'a::nope': The pseudo-element ::nope is unknown"),
        ("//a[", "invalid XPath selector '//a[': Invalid expression in //a["),
        (
            "xpath: nosuch(//a)",
            "invalid XPath selector 'xpath: nosuch(//a)': Unregistered function",
        ),
        ("   ", "invalid CSS selector '   ': the selector is empty"),
    ],
)
def test_invalid_selectors(selector: str, message: str) -> None:
    result = pick_article_links(NEWSROOM, PAGE_URL, selector)
    assert isinstance(result, ParseFailure)
    assert result.reason.startswith(message)
    assert (validate_selector(selector) or "").startswith(message)


@pytest.mark.parametrize(
    "selector", ["a.post", "//a", "xpath://h2/a/@href", "article > h2 a", "(//a)[1]"]
)
def test_valid_selectors(selector: str) -> None:
    assert validate_selector(selector) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the page is empty"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "the page is gzip-compressed data, not HTML"),
    ],
)
def test_unusable_pages(body: bytes, reason: str) -> None:
    assert pick_article_links(body, PAGE_URL, "a") == ParseFailure(reason)
