"""SSRF: feed, article and webhook URLs that name or resolve to non-public addresses are refused
at save time and again at connect time, unless allow-listed; the rest of the batch goes on.

Crawls are real Scrapy crawls through the application's network policy; the DNS answers of the
rebinding and "resolves to private" cases come from a resolver hook on the reactor's guarded
resolver, so no test ever asks a real DNS server or leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from twisted.internet._resolver import HostResolution
from twisted.internet.address import IPv4Address
from typer.testing import CliRunner

from alerts.netguard import (
    AllowList,
    DestinationRefusedError,
    check_url_resolving,
    guarded_client,
)
from crawler.guard import guarded_resolver
from crawler.types import PollOutcome
from newsmon.cli import app as cli_app
from tests.crawler.pages import article_html, rss_feed
from tests.reliability.hostile_support import (
    HTML,
    NOTHING_ALLOWED,
    RSS,
    HostileCrawl,
    assert_good_source_stored,
    result_of,
    serve_good_source,
)
from tests.support.http import Reply, RouteServer


def hostile_hosts(port: int) -> dict[str, str]:
    """Each way of naming a non-public address, pointed at the test server's port so that a
    request that got through would show up in its log."""
    return {
        "loopback-other": f"http://127.0.0.2:{port}/feed.xml",
        "ipv6-loopback": f"http://[::1]:{port}/feed.xml",
        "private-10": "http://10.0.0.7/feed.xml",
        "private-192": "http://192.168.1.1/feed.xml",
        "private-172": "http://172.16.5.4/feed.xml",
        "link-local": "http://169.254.10.20/feed.xml",
        "cgnat": "http://100.64.1.2/feed.xml",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "ipv4-mapped": f"http://[::ffff:127.0.0.1]:{port}/feed.xml",
        "decimal": f"http://2130706433:{port}/feed.xml",
        "octal": f"http://0177.0.0.1:{port}/feed.xml",
        "hex": f"http://0x7f.0.0.1:{port}/feed.xml",
        "userinfo": f"http://example.com@127.0.0.1:{port}/feed.xml",
        "localhost": f"http://localhost:{port}/feed.xml",
    }


def test_feed_urls_naming_private_addresses_are_refused_and_the_batch_goes_on(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    port = int(hostile_server.base_url.rsplit(":", 1)[1])
    hostile = hostile_hosts(port)
    for name, url in hostile.items():
        hostile_crawl.add_source(name, url)
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl()

    for name in hostile:
        result = result_of(report, name)
        assert result.outcome is PollOutcome.FAILED, name
        assert result.errors[0].startswith("refused:"), (name, result.errors)
        assert any(reason.startswith("refused:") for reason in hostile_crawl.reasons(name))
    assert hostile_server.hits("/feed.xml") == []
    assert_good_source_stored(report, hostile_crawl, good)


def test_without_an_allow_list_the_local_server_is_never_contacted(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl(policy=NOTHING_ALLOWED)

    result = result_of(report, "good")
    assert result.outcome is PollOutcome.FAILED
    assert "private address" in result.errors[0] and "loopback" in result.errors[0]
    assert hostile_server.requests == []  # not even robots.txt
    assert good not in hostile_crawl.titles()


def test_article_links_to_internal_addresses_are_not_fetched(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    port = int(hostile_server.base_url.rsplit(":", 1)[1])
    hostile_server.route("/secret", Reply(200, article_html("Internal secret"), HTML))
    items = [
        ("Mapped", f"http://[::ffff:127.0.0.1]:{port}/secret"),
        ("Decimal", f"http://2130706433:{port}/secret"),
        ("Metadata", "http://169.254.169.254/latest/meta-data/iam"),
        ("Private", "http://10.1.2.3/internal"),
        ("Fine", hostile_server.url("/fine")),
    ]
    hostile_server.route("/feed.xml", Reply(200, rss_feed(items), RSS))
    hostile_server.route("/fine", Reply(200, article_html("Fine story"), HTML))
    hostile_crawl.add_source("wire", hostile_server.url("/feed.xml"))

    report = hostile_crawl()

    assert result_of(report, "wire").outcome is PollOutcome.FETCHED
    assert hostile_server.hits("/secret") == []
    assert "Internal secret" not in hostile_crawl.titles()
    assert "Fine story" in hostile_crawl.titles()
    refused = [reason for reason in hostile_crawl.reasons("wire") if "refused:" in reason]
    assert len(refused) == 4, hostile_crawl.reasons("wire")


def test_redirects_into_the_internal_network_are_refused(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    port = int(hostile_server.base_url.rsplit(":", 1)[1])
    targets = {
        "to-metadata": "http://169.254.169.254/latest/meta-data/",
        "to-private": "http://192.168.0.1/admin",
        "to-mapped": f"http://[::ffff:127.0.0.1]:{port}/secret",
    }
    for name, target in targets.items():
        hostile_server.route(f"/{name}", Reply(302, b"", {"Location": target}))
        hostile_crawl.add_source(name, hostile_server.url(f"/{name}"))
    hostile_server.route("/secret", Reply(200, rss_feed([]), RSS))
    good = serve_good_source(hostile_server, hostile_crawl)

    report = hostile_crawl()

    for name in targets:
        result = result_of(report, name)
        assert result.outcome is PollOutcome.FAILED
        assert result.errors[0].startswith("refused:"), result.errors
    assert hostile_server.hits("/secret") == []
    assert_good_source_stored(report, hostile_crawl, good)


class ScriptedResolver:
    """A resolver hook: answers listed names from a script (one answer per lookup, the last
    repeated) and passes every other name to the real resolver."""

    def __init__(self, real: Any, script: dict[str, list[str]]) -> None:
        self.real = real
        self.script = script
        self.lookups: list[tuple[str, str]] = []

    def resolveHostName(  # Twisted's interface
        self, receiver: Any, host: str, port: int = 0, *args: Any, **kwargs: Any
    ) -> Any:
        answers = self.script.get(host.lower())
        if answers is None:
            return self.real.resolveHostName(receiver, host, port, *args, **kwargs)
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        self.lookups.append((host, answer))
        resolution = HostResolution(host)
        receiver.resolutionBegan(resolution)
        receiver.addressResolved(IPv4Address("TCP", answer, port))
        receiver.resolutionComplete()
        return resolution


@contextmanager
def scripted_dns(script: dict[str, list[str]]) -> Iterator[ScriptedResolver]:
    """Put a :class:`ScriptedResolver` under the reactor's guarded resolver for one test."""
    from twisted.internet import reactor

    guarded = guarded_resolver(reactor)
    hook = ScriptedResolver(guarded.inner, script)
    guarded.inner = hook
    try:
        yield hook
    finally:
        guarded.inner = hook.real


def test_a_name_resolving_to_a_private_address_is_refused_at_connect_time(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    port = int(hostile_server.base_url.rsplit(":", 1)[1])
    hostile_crawl.add_source("internal", f"http://intranet.example:{port}/feed.xml")
    hostile_crawl.add_source("loopback", f"http://sneaky.example:{port}/feed.xml")
    hostile_server.route("/feed.xml", Reply(200, rss_feed([]), RSS))
    script = {"intranet.example": ["10.20.30.40"], "sneaky.example": ["127.0.0.1"]}

    with scripted_dns(script) as dns:
        report = hostile_crawl(policy=NOTHING_ALLOWED)

    assert result_of(report, "internal").errors[0] == (
        "refused: intranet.example resolves to a private address (10.20.30.40, private network); "
        "to allow it on purpose, add intranet.example to network.allow_hosts in the config or to "
        "NEWSMON_ALLOW_HOSTS")
    assert "sneaky.example resolves to a private address (127.0.0.1, loopback)" in (
        result_of(report, "loopback").errors[0])
    assert hostile_server.requests == []
    assert {host for host, _ in dns.lookups} == {"intranet.example", "sneaky.example"}


def test_dns_rebinding_passes_the_save_time_check_and_is_refused_at_connect_time(
    hostile_server: RouteServer, hostile_crawl: HostileCrawl
) -> None:
    port = int(hostile_server.base_url.rsplit(":", 1)[1])
    url = f"http://rebind.example:{port}/feed.xml"
    hostile_server.route("/feed.xml", Reply(200, rss_feed([]), RSS))
    answers = ["93.184.215.14", "127.0.0.1"]  # public when checked, loopback when used

    async def first_lookup(host: str, _port: int) -> Sequence[str]:
        return [answers.pop(0)]

    assert asyncio.run(check_url_resolving(url, resolver=first_lookup)) is None  # saved
    hostile_crawl.add_source("rebind", url)
    with scripted_dns({"rebind.example": answers}) as dns:
        report = hostile_crawl(policy=NOTHING_ALLOWED)

    assert dns.lookups and all(answer == "127.0.0.1" for _, answer in dns.lookups)
    assert "resolves to a private address (127.0.0.1, loopback)" in (
        result_of(report, "rebind").errors[0])
    assert hostile_server.requests == []


def test_webhook_urls_are_refused_when_saved_and_when_sent(
    hostile_server: RouteServer, tmp_path: Path
) -> None:
    port = int(hostile_server.base_url.rsplit(":", 1)[1])
    hostile_server.route("/feed.xml", Reply(200, b"{}", {"Content-Type": "application/json"}))
    env = {"NEWSMON_HOME": str(tmp_path), "NEWSMON_ALLOW_HOSTS": "127.0.0.1"}
    runner = CliRunner()
    for name, url in hostile_hosts(port).items():
        saved = runner.invoke(cli_app, ["subscribe", "nvidia", "--name", f"s-{name}",
                                        "--webhook", url], env=env)
        assert saved.exit_code == 2, (name, saved.output)
        assert "refused" in saved.output, name
        sent = asyncio.run(_post_guarded(url))
        assert sent.startswith("refused:"), (name, sent)
    listed = runner.invoke(cli_app, ["subscriptions", "list", "--json"], env=env)
    assert listed.exit_code == 0 and "s-" not in listed.stdout
    assert hostile_server.requests == []


async def _post_guarded(url: str) -> str:
    async with guarded_client(AllowList.parse(["127.0.0.1"]), timeout=3.0) as client:
        try:
            response = await client.post(url, json={})
        except DestinationRefusedError as error:
            return str(error)
        except httpx.InvalidURL as error:  # httpx itself rejects some spellings before the guard
            return f"refused: {error}"
        except httpx.HTTPError as error:
            return f"not refused: {type(error).__name__}: {error}"
        return f"not refused: HTTP {response.status_code}"


@pytest.mark.parametrize("url", ["http://10.0.0.1/feed.xml", "http://[::ffff:10.0.0.1]/x",
                                 "http://0x7f000001/feed.xml", "http://user@example.com/feed"])
def test_sources_add_refuses_private_feed_urls(tmp_path: Path, url: str) -> None:
    env = {"NEWSMON_HOME": str(tmp_path)}
    result = CliRunner().invoke(cli_app, ["sources", "add", "bad", url], env=env)
    assert result.exit_code == 2, result.output
    assert "refused" in result.output


def test_extract_refuses_internal_urls_unless_allow_listed(
    hostile_server: RouteServer, tmp_path: Path
) -> None:
    port = int(hostile_server.base_url.rsplit(":", 1)[1])
    hostile_server.route("/story", Reply(200, article_html("Local story"), HTML))
    hostile_server.route("/to-metadata", Reply(302, b"", {"Location": "http://169.254.169.254/"}))
    hostile_server.route("/to-other-loopback",
                         Reply(302, b"", {"Location": f"http://127.0.0.2:{port}/story"}))
    runner = CliRunner()
    env = {"NEWSMON_HOME": str(tmp_path)}

    def extract(url: str, allow: str | None) -> dict[str, Any]:
        extra = {} if allow is None else {"NEWSMON_ALLOW_HOSTS": allow}
        result = runner.invoke(cli_app, ["extract", url, "--format", "json"],
                               env={**env, **extra})
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        assert len(lines) == 1, result.output
        parsed: dict[str, Any] = json.loads(lines[0])
        return parsed

    for url in (hostile_server.url("/story"), f"http://localhost:{port}/story",
                f"http://2130706433:{port}/story"):
        refused = extract(url, None)
        assert refused["text"] is None and refused["error"].startswith("refused:"), refused
    assert hostile_server.requests == []  # nothing ever connected

    allowed = extract(hostile_server.url("/story"), "127.0.0.1")
    assert allowed["error"] is None and allowed["title"] == "Local story"
    for hop in ("/to-metadata", "/to-other-loopback"):  # each redirect hop is checked too
        redirected = extract(hostile_server.url(hop), "127.0.0.1")
        assert redirected["error"].startswith("refused:"), redirected
    assert [seen.path for seen in hostile_server.requests] == [
        "/story", "/to-metadata", "/to-other-loopback"]
