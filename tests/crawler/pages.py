"""Small builders of feeds, sitemaps and article pages for crawler tests."""

from __future__ import annotations

from html import escape

PARAGRAPH = (
    "Nvidia said on Tuesday that demand for its accelerators from cloud providers and AI labs "
    "continued to outstrip supply, and that it expects the new generation of chips to ship in "
    "volume next quarter. Analysts said the guidance was above expectations. "
)


def article_html(title: str, body_paragraphs: int = 6, *, canonical: str | None = None,
                 published: str = "2026-11-19T08:00:00Z", marker: str = "") -> bytes:
    """A plausible news article page with boilerplate around the text."""
    paragraphs = "".join(
        f"<p>{escape(marker)} {PARAGRAPH} Paragraph {index} of {escape(title)}.</p>"
        for index in range(body_paragraphs)
    )
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | Test Wire</title>{link}
<meta property="article:published_time" content="{published}">
</head><body><nav><a href="/">Home</a> <a href="/ai">AI</a> <a href="/markets">Markets</a></nav>
<article><h1>{escape(title)}</h1><p class="byline">By Jane Reporter</p>{paragraphs}</article>
<footer>Copyright Test Wire. <a href="/privacy">Privacy</a></footer></body></html>""".encode()


def rss_feed(items: list[tuple[str, str]], *, description: str = "Summary of the story.") -> bytes:
    """An RSS 2.0 feed whose items are (title, link)."""
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<guid>{escape(link)}</guid><pubDate>Thu, 19 Nov 2026 08:00:00 GMT</pubDate>"
        f"<description>{escape(description)} {escape(title)}. {PARAGRAPH}</description></item>"
        for title, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Test Wire</title><link>http://example.org/</link>{entries}</channel></rss>"
    ).encode()


def news_sitemap(links: list[tuple[str, str, str]]) -> bytes:
    """A Google News sitemap of (url, title, publication date)."""
    urls = "".join(
        f"<url><loc>{escape(url)}</loc><news:news><news:publication><news:name>Test</news:name>"
        f"<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{date}</news:publication_date>"
        f"<news:title>{escape(title)}</news:title></news:news></url>"
        for url, title, date in links
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    ).encode()
