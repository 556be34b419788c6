"""The SSRF guard: which user-supplied URLs the server may fetch, checked at save and connect time.

Webhook, Slack and Discord URLs (and later feed and article URLs added by subscribers) make the
server open connections on a user's behalf. Before a URL is stored, :func:`check_url` refuses
non-http schemes, user info, ambiguous IP spellings and addresses that are not publicly routable;
:func:`check_url_resolving` also resolves the host name. When a delivery is sent,
:class:`GuardedTransport` resolves the host once, checks every address and connects to the checked
address itself, so a name that resolves differently on a second lookup (DNS rebinding) cannot
reach a private address. An explicit :class:`AllowList` (``network.allow_hosts``, or
``NEWSMON_ALLOW_HOSTS``) admits local receivers and test servers.

Flow: subscription saved -> ``check_url`` ... outbox -> channel ``send`` -> ``GuardedTransport``;
crawls: ``newsmon.app`` hands :class:`NetworkPolicy` to ``crawler.guard`` (request, connect time).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from config.settings import HOST_LABEL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port) -> addresses``: the one lookup the guard trusts (injectable for tests)."""

ALLOW_HOSTS_ENV = "NEWSMON_ALLOW_HOSTS"
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack instance metadata
        "169.254.170.2",  # AWS ECS task metadata
        "168.63.129.16",  # Azure wire server (a public address!)
        "100.100.100.200",  # Alibaba Cloud metadata
        "192.0.0.192",  # Oracle Cloud metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
SPECIAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
SPECIAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_MAX_ADDRESSES_TRIED = 4


def allow_hint(entry: str) -> str:
    """How an operator admits ``entry`` (an address or host name) on purpose: the tail of every
    refusal an allow-list entry could lift, so the reason says what to change in one line."""
    return (f"to allow it on purpose, add {entry} to network.allow_hosts in the config "
            f"or to {ALLOW_HOSTS_ENV}")


class DestinationRefusedError(httpx.TransportError):
    """The guard refused to connect; the message is a readable ``refused: ...`` reason."""


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks the operator explicitly allows even though they are not public."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Build from host names, IP addresses and CIDR networks; raises ``ValueError``."""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().strip("[]").lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=True))
            except ValueError:
                if not _is_host_name(entry):
                    raise ValueError(f"not a host name, IP address or network: {raw!r}") from None
                names.add(entry)
        return cls(frozenset(names), tuple(networks))

    @classmethod
    def from_settings(cls, configured: Iterable[str], env: Mapping[str, str]) -> AllowList:
        """``network.allow_hosts``, replaced by ``NEWSMON_ALLOW_HOSTS`` (comma-separated) if set;
        raises ``ValueError`` naming the variable or the setting the bad entry came from."""
        if ALLOW_HOSTS_ENV in env:
            source, entries = f"environment variable {ALLOW_HOSTS_ENV}", env[ALLOW_HOSTS_ENV]
            return cls._parse_from(source, entries.split(","))
        return cls._parse_from("network.allow_hosts", configured)

    @classmethod
    def _parse_from(cls, source: str, entries: Iterable[str]) -> AllowList:
        try:
            return cls.parse(entries)
        except ValueError as error:
            raise ValueError(f"{source}: {error}") from None

    def allows_name(self, host: str) -> bool:
        """Whether a host name is listed."""
        return host.lower().rstrip(".") in self.names

    def allows_address(self, address: IPAddress) -> bool:
        """Whether an address is inside a listed network (metadata addresses: only if exact)."""
        if address in METADATA_ADDRESSES:
            return any(net.num_addresses == 1 and address in net for net in self.networks)
        return any(address in net for net in self.networks)


@dataclass(frozen=True)
class NetworkPolicy:
    """This module's rules as the crawler's ``crawler.guard.DestinationPolicy``: the crawler may
    not import ``alerts``, so the composition root hands it this object."""

    allow: AllowList

    def refuse_url(self, url: str) -> str | None:
        """:func:`check_url` (no DNS lookup)."""
        return check_url(url, self.allow)

    def refuse_address(self, host: str, address: str) -> str | None:
        """:func:`check_address` for an address ``host`` resolved to (or ``host`` itself)."""
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return f"refused: {host} resolved to something that is not an IP address"
        if _ip_literal(host) is not None:
            return check_address(parsed, self.allow)
        if self.allow.allows_name(host):
            return None
        return check_address(parsed, self.allow, host)


def check_url(url: str, allow_hosts: AllowList | Iterable[str] = ()) -> str | None:
    """Why the server must not fetch ``url`` (``"refused: ..."``), or ``None`` if it may.

    Pure: no DNS lookup. Host names are checked for special-use names only; their addresses are
    checked by :func:`check_url_resolving` and, authoritatively, by :class:`GuardedTransport`.
    """
    allow = allow_hosts if isinstance(allow_hosts, AllowList) else AllowList.parse(allow_hosts)
    problem = _check_syntax(url)
    if problem:
        return f"refused: {problem}"
    legacy = decode_legacy_ipv4((urlsplit(url).hostname or "").rstrip("."))
    if legacy is not None:
        return f"refused: the host is a non-standard spelling of the IP address {legacy}"
    host = _host_of(url)
    if host is None:
        return "refused: the URL has no valid host"
    return check_host(host, allow)


def check_host(host: str, allow: AllowList) -> str | None:
    """Why ``host`` (a name or an IP literal, as a URL carries it) is refused, or ``None``."""
    host = host.lower().rstrip(".")
    literal = _ip_literal(host)
    if literal is not None:
        return check_address(literal, allow)
    legacy = decode_legacy_ipv4(host)
    if legacy is not None:
        return f"refused: {host!r} is a non-standard spelling of the IP address {legacy}"
    if _looks_numeric(host) or not _is_host_name(host):
        return f"refused: {host!r} is not a valid host name"
    if allow.allows_name(host):
        return None
    if host in SPECIAL_NAMES or host.endswith(SPECIAL_SUFFIXES):
        return f"refused: {host} is a local-only name; {allow_hint(host)}"
    if "." not in host:
        return (f"refused: {host} is a single-label name (resolved by local search domains); "
                f"{allow_hint(host)}")
    return None


def check_address(address: IPAddress, allow: AllowList, host: str | None = None) -> str | None:
    """Why connecting to ``address`` is refused (it is not publicly routable), or ``None``.

    The reason names the address class and the allow-list entry that would admit it: the host
    name when there is one (a listed name is not checked by address), else the address."""
    if allow.allows_address(address):
        return None
    category = classify_address(address)
    if category is None:
        return None
    if host is None:
        entry = str(address).split("%", 1)[0]  # a scope id (fe80::1%eth0) is no list entry
        return f"refused: {address} is a private address ({category}); {allow_hint(entry)}"
    return (f"refused: {host} resolves to a private address ({address}, {category}); "
            f"{allow_hint(host)}")


def classify_address(address: IPAddress) -> str | None:
    """The kind of non-public address this is (``"loopback"``...), or ``None`` if public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            label, inner = embedded
            category = classify_address(inner)
            if category is not None or label in {"IPv4-mapped", "IPv4-compatible"}:
                return f"{label} {inner}: {category}" if category else None
    category = _classify_plain(address)
    if category is None and isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return "scoped (interface-local) address"
    return category


def _classify_plain(address: IPAddress) -> str | None:
    checks: tuple[tuple[bool, str], ...] = (
        (address in METADATA_ADDRESSES, "cloud metadata endpoint"),
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in CGNAT, "shared CGNAT space"),
        (address.is_multicast, "multicast"),
        (address.is_private, "private network"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not globally routable"),
    )
    return next((category for failed, category in checks if failed), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address.teredo is not None:
        return "Teredo", address.teredo[1]
    if address in NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 0xFFFF:
        return "IPv4-compatible", ipaddress.IPv4Address(int(address))
    return None


def decode_legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a non-standard IPv4 spelling means to ``inet_aton`` (``0x7f.1``, ``2130706433``,
    ``0177.0.0.1``, ``127.1``), or ``None`` if ``host`` is not one (or is the standard form)."""
    labels = host.split(".")
    if not 1 <= len(labels) <= 4 or not all(_NUMERIC_LABEL.match(label) for label in labels):
        return None
    try:
        numbers = [_parse_c_integer(label) for label in labels]
    except ValueError:
        return None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    address = ipaddress.IPv4Address(value)
    return None if str(address) == host else address


def _parse_c_integer(label: str) -> int:
    if label.startswith("0x"):
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label, 8)
    return int(label)


def _check_syntax(url: str) -> str | None:
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "the URL contains whitespace or control characters"
    if "\\" in url:
        return "the URL contains a backslash"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"not a valid URL ({error})"
    if parts.scheme.lower() not in {"http", "https"}:
        return f"only http and https URLs are allowed, not {parts.scheme or 'a relative URL'!r}"
    if "@" in parts.netloc:
        return "the URL contains user info (user@host); put credentials elsewhere"
    if port == 0:
        return "port 0 is not a valid port"
    return None


def _host_of(url: str) -> str | None:
    """The host httpx will connect to, if urllib agrees on it (no parser differential)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return None
    host = parsed.raw_host.decode("ascii").lower()
    other = (urlsplit(url).hostname or "").lower()
    if not host or (other.isascii() and other != host):
        return None
    return host


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _looks_numeric(host: str) -> bool:
    """Top-level labels are never numeric: ``1.2.3.4.5`` or ``foo.123`` are not host names."""
    return bool(_NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]))


def _is_host_name(host: str) -> bool:
    if not host or len(host) > 253:
        return False
    return all(HOST_LABEL.match(label) for label in host.split("."))


async def resolve_system(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver (``getaddrinfo`` in the loop's executor)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(
    host: str, port: int, allow: AllowList, resolver: Resolver, timeout: float
) -> list[IPAddress] | str:
    """Resolve once; every address must pass (else the refusal reason). Errors: httpx's."""
    try:
        async with asyncio.timeout(timeout):
            answers = await resolver(host, port)
    except TimeoutError:
        raise httpx.ConnectTimeout(f"resolving {host} timed out after {timeout:g}s") from None
    except OSError as error:
        raise httpx.ConnectError(f"cannot resolve {host}: {error}") from error
    try:
        addresses = [ipaddress.ip_address(answer) for answer in answers]
    except ValueError as error:
        raise httpx.ConnectError(f"cannot resolve {host}: {error}") from error
    if not addresses:
        raise httpx.ConnectError(f"cannot resolve {host}: no addresses")
    for address in addresses:
        reason = check_address(address, allow, host)
        if reason:
            return reason
    return addresses


async def check_url_resolving(
    url: str,
    allow_hosts: AllowList | Iterable[str] = (),
    *,
    resolver: Resolver = resolve_system,
    timeout: float = 5.0,
) -> str | None:
    """:func:`check_url`, then resolve the host and check its addresses (for save time)."""
    allow = allow_hosts if isinstance(allow_hosts, AllowList) else AllowList.parse(allow_hosts)
    reason = check_url(url, allow)
    if reason:
        return reason
    target = httpx.URL(url)
    host = target.raw_host.decode("ascii")
    if _ip_literal(host) is not None or allow.allows_name(host):
        return None
    try:
        checked = await resolve_checked(host, target.port or _default_port(target), allow,
                                        resolver, timeout)
    except httpx.TransportError as error:
        return f"refused: {error}"
    return checked if isinstance(checked, str) else None


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that resolves each host once and connects only to checked addresses.

    The request goes to the checked IP; the ``Host`` header keeps the name, and for https the
    ``sni_hostname`` extension makes TLS send and verify the name. Keep-alive is off in the inner
    transport, so a connection verified for one name is never reused for another on the same IP.
    """

    def __init__(
        self,
        allow: AllowList,
        *,
        resolver: Resolver = resolve_system,
        resolve_timeout: float = 5.0,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._allow = allow
        self._resolver = resolver
        self._resolve_timeout = resolve_timeout
        self._inner = inner or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_keepalive_connections=0), trust_env=False
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reason = check_url(str(request.url), self._allow)
        if reason:
            raise DestinationRefusedError(reason, request=request)
        host = request.url.raw_host.decode("ascii")
        if _ip_literal(host) is not None or self._allow.allows_name(host):
            return await self._inner.handle_async_request(request)
        port = request.url.port or _default_port(request.url)
        checked = await resolve_checked(host, port, self._allow, self._resolver,
                                        self._resolve_timeout)
        if isinstance(checked, str):
            raise DestinationRefusedError(checked, request=request)
        return await self._send_pinned(request, host, checked)

    async def _send_pinned(
        self, request: httpx.Request, host: str, addresses: list[IPAddress]
    ) -> httpx.Response:
        last_error: httpx.TransportError | None = None
        for address in addresses[:_MAX_ADDRESSES_TRIED]:
            try:
                return await self._inner.handle_async_request(pin_request(request, host, address))
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    async def aclose(self) -> None:
        await self._inner.aclose()


def pin_request(request: httpx.Request, host: str, address: IPAddress) -> httpx.Request:
    """A copy of ``request`` addressed to ``address``; Host header and TLS name stay ``host``."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": host},
    )


def guarded_client(
    allow: AllowList,
    *,
    timeout: httpx.Timeout | float = 10.0,
    resolver: Resolver = resolve_system,
    user_agent: str = "newsmon",
) -> httpx.AsyncClient:
    """An ``AsyncClient`` for user-supplied URLs: guarded, no redirects, no proxies from env."""
    timeouts = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    transport = GuardedTransport(allow, resolver=resolver, resolve_timeout=timeouts.connect or 5.0)
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeouts,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent},
    )


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80
