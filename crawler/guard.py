"""The crawler's SSRF guard: feed, sitemap, article and redirect URLs are checked twice.

Sources are added by users and article links come from third-party feeds, so a crawl must not
become a way to reach the server's own network. The address policy itself (what is private,
which hosts the operator allow-lists) is given by the composition root as a
:class:`DestinationPolicy` (``alerts.netguard.NetworkPolicy``); this module applies it to Scrapy:

- before a request is sent, :class:`DestinationGuardMiddleware` refuses URLs that are not
  http(s), carry user info, spell an IP address in a non-standard way or name a private literal
  address (redirects and robots.txt requests pass through it too);
- at connect time, :class:`GuardedNameResolver` (the reactor's name resolver) checks every
  address a host name resolves to and hands Twisted only checked addresses, so Twisted connects
  to exactly what was checked: a name that answers "public" once and "127.0.0.1" the next time
  (DNS rebinding) cannot slip through.

The reactor has one name resolver, so while crawls run the guard applies to every name the
reactor resolves, with the strictest of the running crawls' policies.

Flow: ``CrawlRunner.crawl`` -> ``enforcing(policy)`` -> Scrapy request -> middleware -> resolver.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

REFUSED_PREFIX = "refused:"


class DestinationPolicy(Protocol):
    """Which URLs and addresses the crawler may connect to (reasons start with ``refused:``)."""

    def refuse_url(self, url: str) -> str | None:
        """Why ``url`` must not be fetched (checked without DNS), or ``None``."""
        ...

    def refuse_address(self, host: str, address: str) -> str | None:
        """Why connecting to ``address`` (which ``host`` resolved to) is refused, or ``None``."""
        ...


class DestinationGuard:
    """One crawl's policy plus the refusals the resolver made for it (host -> reason)."""

    def __init__(self, policy: DestinationPolicy) -> None:
        self.policy = policy
        self.refusals: dict[str, str] = {}

    def refusal_for(self, url: str) -> str | None:
        """The connect-time refusal recorded for ``url``'s host, if any."""
        host = (urlsplit(url).hostname or "").lower()
        return self.refusals.get(host)


class DestinationGuardMiddleware:
    """Downloader middleware: drop requests whose URL the crawl's policy refuses."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> DestinationGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        guard: DestinationGuard | None = getattr(self.crawler.spider, "guard", None)
        if guard is None:
            raise IgnoreRequest("refused: the crawl has no destination policy")
        reason = guard.policy.refuse_url(request.url)
        if reason:
            raise IgnoreRequest(reason)


class GuardedNameResolver:
    """Wraps the reactor's name resolver (Twisted's ``IHostnameResolver``, duck-typed); while
    guards are active, only addresses every active guard accepts reach Twisted (a name with one
    refused address yields none)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.active: list[DestinationGuard] = []

    def resolveHostName(  # noqa: N802 (Twisted's interface)
        self,
        resolutionReceiver: Any,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Any = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> Any:
        guards = tuple(self.active)
        receiver = (
            _CheckingReceiver(resolutionReceiver, hostName, guards) if guards
            else resolutionReceiver
        )
        return self.inner.resolveHostName(
            receiver, hostName, portNumber, addressTypes, transportSemantics
        )

    @contextmanager
    def enforcing(self, policy: DestinationPolicy) -> Iterator[DestinationGuard]:
        """Apply ``policy`` to every resolution until the block ends."""
        guard = DestinationGuard(policy)
        self.active.append(guard)
        try:
            yield guard
        finally:
            self.active.remove(guard)


class _CheckingReceiver:
    """Buffers the addresses of one resolution and passes them on only if all are accepted
    (Twisted's ``IResolutionReceiver``, duck-typed)."""

    def __init__(
        self, outer: Any, host: str, guards: tuple[DestinationGuard, ...]
    ) -> None:
        self._outer = outer
        self._host = host.lower().rstrip(".")
        self._guards = guards
        self._addresses: list[Any] = []

    def resolutionBegan(self, resolutionInProgress: Any) -> None:  # noqa: N802, N803
        self._outer.resolutionBegan(resolutionInProgress)

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        self._addresses.append(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        if not self._refused():
            for address in self._addresses:
                self._outer.addressResolved(address)
        self._outer.resolutionComplete()

    def _refused(self) -> bool:
        refused = False
        for guard in self._guards:
            for address in self._addresses:
                reason = guard.policy.refuse_address(self._host, str(address.host))
                if reason:
                    guard.refusals[self._host] = reason
                    refused = True
                    break
        return refused


def guarded_resolver(reactor: Any) -> GuardedNameResolver:
    """The reactor's :class:`GuardedNameResolver`, installed on first use (idempotent)."""
    current = reactor.nameResolver
    if isinstance(current, GuardedNameResolver):
        return current
    resolver = GuardedNameResolver(current)
    reactor.installNameResolver(resolver)
    return resolver
