"""The SSRF guard: URL checks at save time, and the connect-time transport with a real receiver."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import httpx
import pytest

from alerts.channels import DeliveryStatus
from alerts.channels.webhook import WebhookChannel
from alerts.netguard import (
    AllowList,
    DestinationRefusedError,
    allow_hint,
    check_url,
    check_url_resolving,
    classify_address,
    decode_legacy_ipv4,
    guarded_client,
    resolve_system,
)
from tests.alerts.delivery_support import Receiver, Reply, sample_message

KEY = b"k" * 32
LOCAL = AllowList.parse(["127.0.0.1", "::1"])
PUBLIC_IP = "93.184.216.34"

REFUSED_FORMS = [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://10.1.2.3/", "private network"),
    ("http://172.16.0.1/", "private network"),
    ("http://192.168.1.10/", "private network"),
    ("http://169.254.10.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata endpoint"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://224.0.0.251/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "private network"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://[fd12:3456::1]/", "private network"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped 127.0.0.1: loopback"),
    ("http://[::ffff:10.0.0.1]/", "IPv4-mapped 10.0.0.1"),
    ("http://[2002:7f00:1::]/", "6to4 127.0.0.1: loopback"),
    ("http://[2002:a9fe:a9fe::]/", "6to4 169.254.169.254: cloud metadata"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "Teredo 127.0.0.1: loopback"),
    ("http://[64:ff9b::a00:1]/", "NAT64 10.0.0.1"),
    ("http://2130706433/", "non-standard spelling of the IP address 127.0.0.1"),
    ("http://0x7f.1/", "non-standard spelling of the IP address 127.0.0.1"),
    ("http://0177.0.0.1/", "non-standard spelling of the IP address 127.0.0.1"),
    ("http://0x7f000001/", "non-standard spelling of the IP address 127.0.0.1"),
    ("http://127.1/", "non-standard spelling of the IP address 127.0.0.1"),
    ("http://017700000001/", "non-standard spelling of the IP address 127.0.0.1"),
    ("http://example.com@127.0.0.1/", "user info"),
    ("http://user:pw@hooks.example.com/", "user info"),
    ("http://127.0.0.1\\@example.com/", "backslash"),
    ("http://localhost:8000/", "local-only name"),
    ("http://api.localhost/", "local-only name"),
    ("http://metadata.google.internal/", "local-only name"),
    ("http://redis:6379/", "single-label"),
    ("http://1.2.3.4.5/", "not a valid host name"),
    ("ftp://example.com/file", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://example.com:70/", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("http://exa mple.com/", "whitespace"),
    ("http://example.com/\r\nX-Injected: 1", "whitespace or control"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED_FORMS)
def test_each_dangerous_form_is_refused_with_a_reason(url: str, why: str) -> None:
    reason = check_url(url)
    assert reason is not None and reason.startswith("refused: ")
    assert why in reason


@pytest.mark.parametrize(
    "url",
    ["https://hooks.slack.com/services/T0/B0/x", "https://example.com:8443/a?b=c",
     "http://93.184.216.34/hook", "https://[2606:4700::1111]/", "https://bücher.example/x",
     "http://[::ffff:93.184.216.34]/"],
)
def test_public_urls_pass(url: str) -> None:
    assert check_url(url) is None


def test_allow_list_admits_exactly_its_hosts() -> None:
    assert check_url("http://127.0.0.1:9000/hook", LOCAL) is None
    assert check_url("http://[::1]:9000/hook", LOCAL) is None
    assert check_url("http://127.0.0.2/", LOCAL) is not None
    assert check_url("http://10.0.0.1/", LOCAL) is not None
    assert check_url("http://localhost/", AllowList.parse(["localhost"])) is None
    assert check_url("http://10.9.8.7/", AllowList.parse(["10.0.0.0/8"])) is None


def test_obfuscated_spellings_stay_refused_even_when_their_address_is_allowed() -> None:
    for url in ("http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/"):
        assert "non-standard spelling" in (check_url(url, LOCAL) or "")


def test_metadata_address_needs_an_exact_allow_entry() -> None:
    assert check_url("http://169.254.169.254/", AllowList.parse(["169.254.0.0/16"])) is not None
    assert check_url("http://169.254.169.254/", AllowList.parse(["169.254.169.254"])) is None


def test_allow_list_parsing_and_environment_precedence() -> None:
    allow = AllowList.parse([" [::1] ", "Hooks.Example.ORG.", "10.0.0.0/8", ""])
    assert allow.allows_name("hooks.example.org")
    assert allow.allows_address(ipaddress.ip_address("::1"))
    assert allow.allows_address(ipaddress.ip_address("10.200.0.1"))
    with pytest.raises(ValueError, match="not a host name"):
        AllowList.parse(["http://bad/"])
    from_env = AllowList.from_settings(["10.0.0.0/8"], {"NEWSMON_ALLOW_HOSTS": "127.0.0.1,::1"})
    assert not from_env.allows_address(ipaddress.ip_address("10.0.0.1"))
    assert from_env.allows_address(ipaddress.ip_address("127.0.0.1"))
    assert AllowList.from_settings(["10.0.0.0/8"], {}).allows_address(
        ipaddress.ip_address("10.0.0.1"))
    with pytest.raises(ValueError, match=r"^environment variable NEWSMON_ALLOW_HOSTS: not a host"):
        AllowList.from_settings([], {"NEWSMON_ALLOW_HOSTS": "127.0.0.1,http://x/"})
    with pytest.raises(ValueError, match=r"^network\.allow_hosts: not a host name"):
        AllowList.from_settings(["http://x/"], {})


ALLOWABLE = [
    ("http://127.0.0.1:8080/hook", "loopback", "127.0.0.1"),
    ("http://[::1]/hook", "loopback", "::1"),
    ("http://10.1.2.3/", "private network", "10.1.2.3"),
    ("http://[::ffff:10.0.0.1]/", "IPv4-mapped 10.0.0.1", "::ffff:a00:1"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata endpoint", "169.254.169.254"),
    ("http://localhost:8000/", "local-only name", "localhost"),
    ("http://redis:6379/", "single-label", "redis"),
]


@pytest.mark.parametrize(("url", "category", "entry"), ALLOWABLE)
def test_a_refusal_names_the_class_and_the_entry_that_allows_it(
    url: str, category: str, entry: str
) -> None:
    reason = check_url(url)
    assert reason is not None and category in reason and "\n" not in reason
    assert reason.endswith(f"; to allow it on purpose, add {entry} to network.allow_hosts in "
                           "the config or to NEWSMON_ALLOW_HOSTS")
    assert check_url(url, AllowList.parse([entry])) is None  # doing what it says works


@pytest.mark.parametrize("url", ["http://2130706433/", "http://user:pw@hooks.example.com/",
                                 "ftp://example.com/file", "http://1.2.3.4.5/"])
def test_refusals_no_allow_entry_lifts_give_no_allow_hint(url: str) -> None:
    reason = check_url(url, LOCAL)
    assert reason is not None and "allow_hosts" not in reason


def test_legacy_ipv4_decoding_matches_inet_aton() -> None:
    for spelling in ("2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f.0.0.1", "127.0.1"):
        assert decode_legacy_ipv4(spelling) == ipaddress.IPv4Address(socket.inet_aton(spelling))
    assert decode_legacy_ipv4("127.0.0.1") is None
    assert decode_legacy_ipv4("example.com") is None
    assert decode_legacy_ipv4("256.1.1.1") is None


def test_classification_of_embedded_ipv4() -> None:
    assert classify_address(ipaddress.ip_address("::ffff:8.8.8.8")) is None
    assert classify_address(ipaddress.ip_address("2002:808:808::1")) is None
    assert "loopback" in (classify_address(ipaddress.ip_address("::127.0.0.1")) or "")


# ---- Save time, with DNS ----------------------------------------------------------------------


class ScriptedResolver:
    """Answers each lookup with the next list of addresses; counts the lookups."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


def test_a_name_resolving_to_loopback_is_refused_at_save_time() -> None:
    resolver = ScriptedResolver(["127.0.0.1"])
    reason = asyncio.run(check_url_resolving("https://evil.example/hook", resolver=resolver))
    assert reason == ("refused: evil.example resolves to a private address (127.0.0.1, loopback); "
                      + allow_hint("evil.example"))


def test_any_private_address_among_several_refuses_the_name() -> None:
    resolver = ScriptedResolver([PUBLIC_IP, "10.0.0.5"])
    reason = asyncio.run(check_url_resolving("https://mixed.example/", resolver=resolver))
    assert reason is not None and "10.0.0.5" in reason


def test_a_public_name_passes_save_time() -> None:
    resolver = ScriptedResolver([PUBLIC_IP])
    assert asyncio.run(check_url_resolving("https://ok.example/", resolver=resolver)) is None


def test_unresolvable_names_are_refused_at_save_time() -> None:
    async def failing(host: str, port: int) -> Sequence[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    reason = asyncio.run(check_url_resolving("https://nx.example/", resolver=failing))
    assert reason is not None and "cannot resolve nx.example" in reason


# ---- Connect time, against a real receiver ----------------------------------------------------




def send_webhook(url: str, allow: AllowList, resolver: ScriptedResolver | None = None,
                 channel_allow: AllowList | None = None) -> tuple[DeliveryStatus, str]:
    async def run() -> tuple[DeliveryStatus, str]:
        lookup = resolver or resolve_system
        async with guarded_client(allow, timeout=2.0, resolver=lookup) as client:
            channel = WebhookChannel(client, KEY, allow=channel_allow or allow, deadline=2.0)
            result = await channel.send(sample_message(), url)
            return result.status, result.detail

    return asyncio.run(run())


def test_allow_listed_loopback_receiver_gets_the_delivery(receiver: Receiver) -> None:
    status, detail = send_webhook(receiver.url("/hook"), LOCAL)
    assert status is DeliveryStatus.SENT, detail
    assert len(receiver.requests("/hook")) == 1


def test_loopback_without_allow_list_is_refused_before_connecting(receiver: Receiver) -> None:
    status, detail = send_webhook(receiver.url("/hook"), AllowList())
    assert status is DeliveryStatus.FAILED
    assert detail == ("refused: 127.0.0.1 is a private address (loopback); "
                      + allow_hint("127.0.0.1"))
    assert receiver.requests() == []


def test_transport_refuses_even_when_the_channel_check_is_bypassed(receiver: Receiver) -> None:
    """The channel allows 127.0.0.1, the transport does not: the transport wins."""
    status, detail = send_webhook(receiver.url("/hook"), AllowList(), channel_allow=LOCAL)
    assert status is DeliveryStatus.FAILED and "loopback" in detail
    assert receiver.requests() == []


def test_name_resolving_to_loopback_is_refused_at_connect_time(receiver: Receiver) -> None:
    resolver = ScriptedResolver(["127.0.0.1"])
    url = f"http://hooks.attacker.example:{receiver.port}/hook"
    status, detail = send_webhook(url, AllowList(), resolver)
    assert status is DeliveryStatus.FAILED
    assert detail == ("refused: hooks.attacker.example resolves to a private address "
                      "(127.0.0.1, loopback); " + allow_hint("hooks.attacker.example"))
    assert receiver.requests() == []


def test_rebinding_name_passes_save_time_and_is_refused_at_connect_time(
    receiver: Receiver,
) -> None:
    resolver = ScriptedResolver([PUBLIC_IP], ["127.0.0.1"])
    url = f"http://rebind.attacker.example:{receiver.port}/hook"
    assert asyncio.run(check_url_resolving(url, resolver=resolver)) is None
    status, detail = send_webhook(url, AllowList(), resolver)
    assert status is DeliveryStatus.FAILED
    assert "resolves to a private address (127.0.0.1, loopback)" in detail
    assert resolver.calls == ["rebind.attacker.example"] * 2
    assert receiver.requests() == []


def test_connection_goes_to_the_checked_address_looked_up_once(receiver: Receiver) -> None:
    """The name exists only in the injected resolver: the request reached the receiver, so the
    transport connected to the address it checked, not to a second (system) lookup."""
    resolver = ScriptedResolver(["127.0.0.1"], ["10.66.66.66"])
    url = f"http://hooks.newsmon.test:{receiver.port}/hook"
    status, detail = send_webhook(url, LOCAL, resolver)
    assert status is DeliveryStatus.SENT, detail
    assert resolver.calls == ["hooks.newsmon.test"]
    [seen] = receiver.requests("/hook")
    assert seen.headers["host"] == f"hooks.newsmon.test:{receiver.port}"


def test_guarded_client_refuses_obfuscated_addresses_directly(receiver: Receiver) -> None:
    async def run() -> None:
        async with guarded_client(LOCAL) as client:
            with pytest.raises(DestinationRefusedError, match="non-standard spelling"):
                await client.post(f"http://0x7f.1:{receiver.port}/hook")
            with pytest.raises(DestinationRefusedError, match="private address"):
                await client.post(f"http://[::ffff:127.0.0.1]:{receiver.port}/hook")

    asyncio.run(run())
    assert receiver.requests() == []


def test_guarded_client_never_follows_redirects(receiver: Receiver) -> None:
    async def run() -> httpx.Response:
        async with guarded_client(LOCAL) as client:
            return await client.post(receiver.url("/moved"))

    receiver.reply("/moved", Reply(302, headers={"Location": "/elsewhere"}))
    assert asyncio.run(run()).status_code == 302
    assert [r.path for r in receiver.requests()] == ["/moved"]


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback here")
def test_allow_listed_ipv6_loopback_receiver_works() -> None:
    server = Receiver("::1").start()
    try:
        status, detail = send_webhook(server.url("/hook"), LOCAL)
        assert status is DeliveryStatus.SENT, detail
        assert len(server.requests("/hook")) == 1
        status, _ = send_webhook(server.url("/hook"), AllowList.parse(["127.0.0.1"]))
        assert status is DeliveryStatus.FAILED
    finally:
        server.stop()
