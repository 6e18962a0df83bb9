"""Keep the crawler off private networks.

A page can link or redirect anywhere, so a crawler of the open web must not become a way
into the network it runs on: loopback, private (RFC 1918, unique-local), link-local (the
cloud metadata service at 169.254.169.254 among them), carrier-grade NAT, multicast and
reserved addresses are refused. The check is made on the addresses the host name resolves
to, for every request, redirects included (a redirect is a new request through this
middleware), robots.txt fetches included (Scrapy's robots.txt middleware downloads
through the same chain). IPv6 forms that carry an IPv4 address (mapped, 6to4, NAT64,
Teredo) are judged by the IPv4 address they lead to. `ALLOW_PRIVATE_NETWORKS = True`, or `allow_private_networks = true` in a seed,
lifts it; the bundled demo seed does, for its loopback site.

A host that resolves differently at connection time (DNS rebinding) is beyond this check;
a network-level egress rule is the complete answer there.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

logger = logging.getLogger(__name__)

SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


class PrivateNetworkBlocked(IgnoreRequest):
    """The request's host is, or resolves to, an address the crawler must not reach."""


# The well-known NAT64 prefix (RFC 6052): the IPv4 address it reaches is the low 32 bits.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: IPv4-mapped, 6to4 (2002::/16),
    NAT64 (64:ff9b::/96) and Teredo (its server and its client). Python's `ipaddress` judges
    these forms by their IPv6 prefix: `2002:7f00:1::` is 127.0.0.1, yet not private to it."""
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    if ip.sixtofour:
        return [ip.sixtofour]
    if ip in NAT64_PREFIX:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.teredo:
        return list(ip.teredo)
    return []


def forbidden_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an address at all: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address) and (inside := embedded_ipv4(ip)):
        return any(_forbidden(v4) for v4 in inside)   # judged by where it leads
    return _forbidden(ip)


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or (ip.version == 4 and ip in SHARED_ADDRESS_SPACE))


def _addresses(host: str, port: int) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (socket.gaierror, UnicodeError):
        return []  # unresolvable: the download fails and is counted there


class PrivateNetworkGuard:
    def __init__(self, crawler):
        self.crawler = crawler
        self.allow_all = crawler.settings.getbool("ALLOW_PRIVATE_NETWORKS", False)
        self.resolved: dict[tuple[str, int], list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        parts = urlsplit(request.url)
        if self.allow_all or parts.scheme not in ("http", "https") or self._allowed_by_seed(request):
            return None
        host = (parts.hostname or "").strip("[]")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise PrivateNetworkBlocked(f"bad port in {request.url}") from None
        key = (host, port)
        if key not in self.resolved:
            self.resolved[key] = await maybe_deferred_to_future(deferToThread(_addresses, host, port))
        blocked = [a for a in self.resolved[key] if forbidden_address(a)]
        if blocked:
            self.crawler.stats.inc_value("security/private_network_blocked")
            logger.warning("refused %s: %s is %s, a private or reserved address "
                           "(ALLOW_PRIVATE_NETWORKS allows it)", request.url, host, blocked[0])
            raise PrivateNetworkBlocked(f"{host} resolves to {blocked[0]}")
        return None

    def _allowed_by_seed(self, request) -> bool:
        allows = getattr(self.crawler.spider, "allows_private_network", None)
        return bool(allows and allows(request))
