"""``newsmon extract``: run article extraction on files or URLs and print the result."""

from __future__ import annotations

import gzip
import os
import zlib
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from alerts.netguard import AllowList
from config import load_settings
from config.settings import CrawlerSettings
from newsmon.app import AppOptions, allow_list_of
from newsmon.fetch_one import FetchedDocument, fetch_document
from newsmon.output import console, literal, print_json, short_time
from pipeline.dates import utc_now
from pipeline.extraction import extract_article
from pipeline.types import ExtractedArticle, NotAnArticle

MAX_FILE_BYTES = 64 * 1024 * 1024


class OutputFormat(StrEnum):
    """How ``extract`` prints its results."""

    JSON = "json"
    TEXT = "text"


def extract_command(
    context: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="Local .html/.html.gz files or URLs.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="json: one object per input per line.")
    ] = OutputFormat.TEXT,
) -> None:
    """Extract the article (title, text, date, authors, language) from pages.

    URLs are fetched inside the SSRF guard: private and loopback addresses only when
    allow-listed (``network.allow_hosts`` or NEWSMON_ALLOW_HOSTS)."""
    options: AppOptions = context.obj
    settings = load_settings(home=options.home, config_file=options.config_file)
    allow = allow_list_of(settings, os.environ)
    failures = 0
    for item in inputs:
        key = "url" if item.startswith(("http://", "https://")) else "path"
        result = _extract_one(item, key, settings.crawler, allow, utc_now())
        failures += isinstance(result, NotAnArticle)
        if output_format is OutputFormat.JSON:
            print_json({key: item, **_result_json(result)})
        else:
            _print_text(item, result)
    if failures:
        raise typer.Exit(1)


def _extract_one(
    item: str, key: str, crawler: CrawlerSettings, allow: AllowList, now: datetime
) -> ExtractedArticle | NotAnArticle:
    if key == "url":
        fetched = fetch_document(item, crawler, allow)
        if isinstance(fetched, str):
            return NotAnArticle(item, fetched)
        return _extract_fetched(fetched, now)
    body = read_page_file(Path(item))
    if isinstance(body, str):
        return NotAnArticle(item, body)
    return extract_article(body, Path(item).resolve().as_uri(), now=now)


def _extract_fetched(fetched: FetchedDocument, now: datetime) -> ExtractedArticle | NotAnArticle:
    return extract_article(fetched.body, fetched.final_url, now=now,
                           declared_encoding=fetched.encoding)


def read_page_file(path: Path) -> bytes | str:
    """Read a local page, gunzipping ``.gz`` files (with a size cap); a reason on failure."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return f"cannot read {path}: {error.strerror or error}"
    if not raw.startswith(b"\x1f\x8b"):
        return raw
    try:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        body = decompressor.decompress(raw, MAX_FILE_BYTES)
    except (zlib.error, gzip.BadGzipFile) as error:
        return f"{path} is not valid gzip: {error}"
    if decompressor.unconsumed_tail:
        return f"{path} decompresses to more than {MAX_FILE_BYTES} bytes"
    return body


def _result_json(result: ExtractedArticle | NotAnArticle) -> dict[str, object]:
    if isinstance(result, NotAnArticle):
        return {"title": None, "text": None, "published": None, "authors": [], "language": None,
                "error": result.reason}
    return {
        "title": result.title, "text": result.text, "published": result.published,
        "authors": result.authors, "language": result.language,
        "canonical_url": result.canonical_url, "image": result.image,
        "site_name": result.site_name, "description": result.description,
        "notes": result.notes, "error": None,
    }


def _print_text(item: str, result: ExtractedArticle | NotAnArticle) -> None:
    console.rule(item)
    if isinstance(result, NotAnArticle):
        console.print(f"[red]not an article:[/red] {literal(result.reason)}")
        return
    console.print(f"[bold]{literal(result.title or '(untitled)')}[/bold]")
    meta = [short_time(result.published), ", ".join(result.authors), result.language or ""]
    console.print(" | ".join(part for part in meta if part), markup=False)
    console.print()
    console.print(result.text, markup=False)
