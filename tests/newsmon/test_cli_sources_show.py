"""``newsmon sources show``: what the web or a server said is printed as it is (never read as
Rich markup: a rejection's ``[fetch]`` stage, an error quoting ``[bold]``), and a paused source
says when it is polled next."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from config import SourceSpec
from newsmon.cli import app
from pipeline.dates import utc_now
from pipeline.storage import Storage
from pipeline.storage.records import PollRecord
from tests.support.db import sqlite_url


def test_sources_show_prints_stored_text_literally_and_the_next_poll(tmp_path: Path) -> None:
    storage = Storage.open(sqlite_url(tmp_path))
    try:
        storage.upgrade()
        now = utc_now()
        url = "https://lab.example/news?tag=[ai]"
        storage.sources.add(SourceSpec(name="lab", url=url, kind="page",
                                       link_selector="a[href*='/post/']"), now)
        storage.sources.record_poll("lab", PollRecord(
            at=now, succeeded=False, status_code=503, error="HTTP 503: [bold]busy[/bold]",
            next_poll_at=now + timedelta(hours=2, minutes=30),
            next_poll_reason="server asked to retry after 9000s"))
        storage.sources.record_rejection("lab", "fetch", "HTTP 503: [bold]busy[/bold]", url, now)
    finally:
        storage.close()

    shown = CliRunner().invoke(app, ["sources", "show", "lab"],
                               env={"NEWSMON_HOME": str(tmp_path), "COLUMNS": "200"})

    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert f"  url:           {url}" in lines
    assert "  selector:      a[href*='/post/']" in lines
    assert any(line.startswith("  last error:    HTTP 503: [bold]busy[/bold] (") for line in lines)
    assert "  next poll:     in 2h (server asked to retry after 9000s)" in lines
    [rejection] = [line for line in lines if "[fetch]" in line]
    assert rejection.endswith(f"[fetch] HTTP 503: [bold]busy[/bold]  {url}")


def test_sources_list_in_a_pipe_keeps_each_source_on_one_line(tmp_path: Path) -> None:
    """Piped (``| less``, ``| grep``) the table was squeezed to 80 columns: 'northgate-signal'
    came out as four lines of four letters."""
    storage = Storage.open(sqlite_url(tmp_path))
    try:
        storage.upgrade()
        for name in ("northgate-signal", "harbor-ledger-technology"):
            storage.sources.add(SourceSpec(name=name, url=f"https://{name}.example/feed.xml"),
                                utc_now())
        storage.sources.record_poll("northgate-signal", PollRecord(
            at=utc_now(), succeeded=False, status_code=404,
            error="HTTP 404 from https://northgate-signal.example/feed.xml"))
    finally:
        storage.close()

    listed = CliRunner().invoke(app, ["sources", "list"], env={"NEWSMON_HOME": str(tmp_path)})

    [row] = [line for line in listed.stdout.splitlines() if "northgate-signal " in line]
    assert "404" in row and "HTTP 404 from https://northgate-signal.example/feed.xml" in row
    assert any("harbor-ledger-technology " in line for line in listed.stdout.splitlines())
