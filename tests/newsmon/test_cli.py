"""The command line, run in-process with Typer's runner against real databases and servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.loading import resolve_home
from newsmon.cli import app
from tests.crawler.pages import article_html, rss_feed
from tests.support.http import Reply, RouteServer

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def run(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """Invoke ``newsmon --home TMP ...`` against the parametrised database."""
    runner = CliRunner()
    env = {"NEWSMON_HOME": str(tmp_path / "home"), "NEWSMON_DATABASE_URL": database_url,
           "NEWSMON_ALLOW_HOSTS": "127.0.0.1"}  # the local test server (SSRF guard)

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.stdout if "--json" in args or "json" in args else result.output

    return invoke


def test_init_seeds_the_default_sources_once(run) -> None:  # type: ignore[no-untyped-def]
    assert "33 default sources added" in run("init")
    assert "0 default sources added (33 in all)" in run("init")
    listed = json.loads(run("sources", "list", "--json"))
    assert len(listed) == 33
    assert {"name", "kind", "url", "last_success_at", "last_error", "consecutive_failures",
            "articles_per_day", "last_status_code"} <= set(listed[0])
    kinds = {item["kind"] for item in listed}
    assert kinds == {"feed", "sitemap", "page"}


def test_sources_add_validates_url_kind_and_selector(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--no-sources")
    assert "Added feed source 'mine'" in run("sources", "add", "mine",
                                             "https://example.com/feed.xml", "--interval", "15m")
    assert "already exists" in run("sources", "add", "mine", "https://example.com/x", code=1)
    assert "not an absolute http(s) URL" in run("sources", "add", "bad", "ftp://x/y", code=2)
    assert "kind" in run("sources", "add", "k", "https://e.com/", "--kind", "video", code=2)
    assert "link_selector" in run("sources", "add", "p", "https://e.com/", "--kind", "page",
                                  code=2)
    assert "--selector a[[[:" in run("sources", "add", "p", "https://e.com/", "--kind", "page",
                                     "--selector", "a[[[", code=2)
    assert "not a duration" in run("sources", "add", "i", "https://e.com/", "--interval",
                                   "soon", code=2)
    shown = json.loads(run("sources", "show", "mine", "--json"))
    assert shown["interval_seconds"] == 900 and shown["url"] == "https://example.com/feed.xml"
    assert "Removed source 'mine'" in run("sources", "remove", "mine")
    assert "no source named" in run("sources", "remove", "mine", code=1)


def test_sources_add_takes_a_time_window_or_a_cron_schedule(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--no-sources")
    added = run("sources", "add", "day", "https://example.com/day.xml", "--interval", "15m",
                "--window", "06:00-22:00", "--timezone", "Europe/Paris")
    assert "every 15m, 06:00-22:00 Europe/Paris" in " ".join(added.split())  # unwrapped
    run("sources", "add", "close", "https://example.com/close.xml", "--cron", "5 16 * * mon-fri",
        "--timezone", "America/New_York")
    day = json.loads(run("sources", "show", "day", "--json"))
    close = json.loads(run("sources", "show", "close", "--json"))
    assert (day["window"], day["cron"], day["timezone"]) == ("06:00-22:00", None, "Europe/Paris")
    assert (close["window"], close["cron"]) == (None, "5 16 * * mon-fri")
    shown = " ".join(run("sources", "show", "close").split())
    assert "cron 5 16 * * mon-fri America/New_York" in shown
    listed = {item["name"]: item for item in json.loads(run("sources", "list", "--json"))}
    assert listed["day"]["window"] == "06:00-22:00" and listed["close"]["cron"] is not None
    assert "not a crontab expression" in run("sources", "add", "c", "https://e.com/", "--cron",
                                             "whenever", code=2)
    assert "not a time window" in run("sources", "add", "w", "https://e.com/", "--window",
                                      "morning", code=2)
    assert "window" in run("sources", "add", "b", "https://e.com/", "--window", "06:00-22:00",
                           "--cron", "0 * * * *", code=2)  # one or the other


def test_sources_add_says_how_an_interval_was_read_and_the_shortest_one(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--no-sources")
    bare = run("sources", "add", "x", "http://example.com/feed", "--interval", "5", code=2)
    assert " ".join(bare.split()) == (
        "--interval 5: read as 5 seconds (a number without a unit is seconds); the shortest "
        "interval is 1m (60 seconds). Write a unit: 15m, 2h.")
    with_unit = run("sources", "add", "x", "http://example.com/feed", "--interval", "30s", code=2)
    assert " ".join(with_unit.split()) == (
        "--interval 30s: read as 30 seconds (30s); the shortest interval is 1m (60 seconds).")
    assert "every 5m" in run("sources", "add", "x", "http://example.com/feed", "--interval", "300")
    assert "a number without a unit is seconds" in " ".join(
        run("sources", "add", "--help").replace("│", " ").split())


def test_the_same_feed_under_a_second_name_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    run("init", "--no-sources")
    run("sources", "add", "a", "https://example.com/feed")
    refused = run("sources", "add", "b", "https://Example.com:443/feed?utm_source=x#top", code=1)
    assert " ".join(refused.split()) == (
        "source 'a' already polls this URL (https://example.com/feed); a feed is polled under "
        "one name only: remove 'a' first to rename it.")
    page = "https://lab.example/news"
    run("sources", "add", "lab-posts", page, "--kind", "page", "--selector", "a.post")
    run("sources", "add", "lab-papers", page, "--kind", "page", "--selector", "a.paper")
    again = run("sources", "add", "lab-again", page, "--kind", "page", "--selector", "a.post",
                code=1)
    assert " ".join(again.split()) == (
        "source 'lab-posts' already reads this page (https://lab.example/news) with the same "
        "--selector; give another selector, or remove 'lab-posts' first to rename it.")
    listed = json.loads(run("sources", "list", "--json"))
    assert sorted(source["name"] for source in listed) == ["a", "lab-papers", "lab-posts"]


def test_help_names_the_data_directory_used_without_newsmon_home() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"NEWSMON_HOME": None, "COLUMNS": "250"})
    text = " ".join(result.output.replace("│", " ").split())
    assert f"Data directory (default: $NEWSMON_HOME, else {resolve_home({})})." in text
    assert "Settings file (default: $NEWSMON_CONFIG, else HOME/config.toml)." in text


def test_crawl_then_list_and_show_articles(run) -> None:  # type: ignore[no-untyped-def]
    server = RouteServer().start()
    try:
        server.route("/feed.xml", Reply(200, rss_feed([("Chip deal", server.url("/a/1"))]), RSS))
        server.route("/a/1", Reply(200, article_html("Chip deal"), {"Content-Type": "text/html"}))
        run("init", "--no-sources")
        run("sources", "add", "wire", server.url("/feed.xml"))
        output = run("crawl")
        assert "fetched 1, unchanged 0, failed 0, skipped 0; 1 new article in " in output
        [row] = [line for line in output.splitlines() if "wire" in line]  # one line, piped
        assert "fetched" in row and "200" in row
    finally:
        server.stop()
    listed = json.loads(run("articles", "list", "--json"))
    assert len(listed) == 1
    article = listed[0]
    assert {"id", "url", "title", "published", "source"} <= set(article)
    assert article["title"] == "Chip deal" and article["source"] == "wire"
    assert article["url"] == server.url("/a/1")
    shown = json.loads(run("articles", "show", str(article["id"]), "--json"))
    assert "Paragraph 3 of Chip deal" in shown["text"]
    assert "no article with id 999" in run("articles", "show", "999", code=1)
    status = json.loads(run("status", "--json"))
    assert status["articles_total"] == 1 and status["sources"] == 1
    assert status["schema_revision"] == status["schema_head"]


def test_extract_prints_one_json_object_per_input(run, shared_data: Path,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    pages = shared_data / "pages"
    bench = sorted((shared_data / "article-extraction-benchmark" / "html").glob("*.html.gz"))[:2]
    broken = tmp_path / "empty.html"
    broken.write_bytes(b"")
    inputs = [str(pages / "trafilatura" / "wired.com.burn.html"), *map(str, bench), str(broken)]
    output = run("extract", *inputs, "--format", "json", code=1)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [line["path"] for line in lines] == inputs
    wired = lines[0]
    assert "OpenAI" in wired["text"] and wired["title"]
    assert wired["language"] == "en" and wired["published"].startswith("2020-01-21")
    assert all({"title", "text", "published", "authors", "language"} <= set(x) for x in lines)
    assert all(line["text"] for line in lines[1:3])
    assert lines[3]["error"] and lines[3]["text"] is None


def test_an_unknown_setting_is_reported_with_its_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[crawler]\nretry_tims = 3\n")
    result = CliRunner().invoke(app, ["status"], env={"NEWSMON_HOME": str(home)})
    assert result.exit_code != 0
    assert "crawler.retry_tims" in str(result.exception) + result.output


def test_console_script_reports_config_and_database_errors_without_traceback(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    script = Path(sys.executable).with_name("newsmon")
    env = {**os.environ, "NEWSMON_HOME": str(tmp_path),
           "NEWSMON_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    down = subprocess.run([str(script), "status"], env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    assert down.returncode == 2
    assert "cannot use the database" in down.stderr and "Traceback" not in down.stderr
    (tmp_path / "config.toml").write_text("[crawler]\nretry_tims = 3\n")
    env.pop("NEWSMON_DATABASE_URL")
    bad = subprocess.run([str(script), "status"], env=env, capture_output=True, text=True,
                         check=False, timeout=60)
    assert bad.returncode == 2
    assert "crawler.retry_tims" in bad.stderr and "Traceback" not in bad.stderr


SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "muse-spark-article.txt"


def test_tag_prints_exactly_one_json_object_for_the_seed_article(run) -> None:  # type: ignore[no-untyped-def]
    text = SEED.read_text(encoding="utf-8")
    result = json.loads(run("tag", str(SEED), "--format", "json"))
    assert set(result) == {"entities", "stock_reactions"}
    for entity in result["entities"]:
        assert text[entity["start"]:entity["end"]] == entity["text"]
        assert entity["text"] != "AI"
    models = {e["canonical"]: e for e in result["entities"] if e["type"] == "MODEL"}
    companies = {e["canonical"]: e for e in result["entities"] if e["type"] == "COMPANY"}
    assert models["Muse Spark"]["developer"] == "Meta" and "Llama" in models
    expected = {"Meta", "Meta Superintelligence Labs", "OpenAI", "Google", "Anthropic"}
    assert expected <= set(companies)
    assert companies["Meta Superintelligence Labs"]["parent"] == "Meta"
    assert all(e["canonical"] != "Muse Spark" for e in result["entities"] if e["type"] != "MODEL")
    [reaction] = result["stock_reactions"]
    assert (reaction["company"], reaction["ticker"], reaction["direction"],
            reaction["magnitude_pct"]) == ("Meta", "META", "up", None)
    assert text[reaction["start"]:reaction["end"]] == reaction["text"]


def test_tag_reads_standard_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path), "tag", "-", "--format", "json"],
        input="Shares of Nvidia fell 17% after DeepSeek released R1.",
    )
    assert result.exit_code == 0, result.output
    tagged = json.loads(result.stdout)
    assert {e["canonical"] for e in tagged["entities"]} >= {"Nvidia", "DeepSeek"}
    [reaction] = tagged["stock_reactions"]
    assert (reaction["company"], reaction["direction"], reaction["magnitude_pct"]) == (
        "Nvidia", "down", 17.0)


def test_crawled_articles_are_tagged_and_show_their_tags(run) -> None:  # type: ignore[no-untyped-def]
    server = RouteServer().start()
    try:
        body = article_html("Meta unveils Muse Spark").replace(
            b"Paragraph 1", b"Meta's stock rose 3% after Meta unveiled Muse Spark. Paragraph 1")
        server.route("/feed.xml", Reply(200, rss_feed([("Muse", server.url("/a/1"))]), RSS))
        server.route("/a/1", Reply(200, body, {"Content-Type": "text/html"}))
        run("init", "--no-sources")
        run("sources", "add", "wire", server.url("/feed.xml"))
        output = run("crawl")
        assert "tagged 1 article:" in output
    finally:
        server.stop()
    [article] = json.loads(run("articles", "list", "--json"))
    shown = json.loads(run("articles", "show", str(article["id"]), "--json"))
    canonicals = {e["canonical"] for e in shown["entities"]}
    assert {"Meta", "Muse Spark", "Nvidia"} <= canonicals
    assert any(r["company"] == "Meta" and r["direction"] == "up" for r in shown["stock_reactions"])
    assert "Muse Spark" in run("articles", "show", str(article["id"]))
    assert "Re-tagged 1 article (" in run("retag")
    assert json.loads(run("status", "--json"))["articles_waiting_to_be_tagged"] == 0


def test_entities_list_show_and_check(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    listed = json.loads(run("entities", "list", "--json"))
    assert len([e for e in listed if "developer" in e]) >= 300
    assert len([e for e in listed if "developer" not in e]) >= 150
    shown = json.loads(run("entities", "show", "Meta Platforms", "--json"))
    assert [e["id"] for e in shown] == ["meta"]
    assert "WhatsApp" in shown[0]["products"]
    assert "products (never an organisation): WhatsApp" in run("entities", "show", "meta")
    assert "0 errors" in run("entities", "check")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[model]]\nid = "x/one"\nname = "One"\ndeveloper = "nobody"\nkind = "llm"\n')
    assert "nobody" in run("entities", "check", str(bad), code=1)


def test_since_without_a_unit_is_refused_with_the_units_to_write(run) -> None:  # type: ignore[no-untyped-def]
    """``--since 7`` was 7 seconds and ``--since 2026`` 2026 seconds: neither what was meant."""
    run("init", "--no-sources")
    for command in (("articles", "list"), ("alerts", "test", "company:Meta"), ("retag",)):
        refused = " ".join(run(*command, "--since", "7", code=2).replace("│", " ").split())
        assert "'7' has no unit: write a duration such as 7d or 7h, or a date such as " \
               "2026-11-01" in refused, refused
    assert "'2026' has no unit" in run("articles", "list", "--since", "2026", code=2)
    assert "0 articles" in run("articles", "list", "--since", "7d")
    assert "0 articles" in run("articles", "list", "--since", "2026-11-01")
