"""No server-side request forgery: a webhook goes only to a public address, checked when it is sent.

A URL is checked when a subscription is created or changed, and again before every attempt: the host is resolved,
every address it resolves to must be public (not private, loopback, link-local, CGNAT, multicast or otherwise
reserved, IPv4 or IPv6, with IPv4 inside IPv6 unwrapped), and the request then goes to the address that was checked,
with the name in the Host header and in TLS (SNI and certificate check), so a second DNS answer cannot redirect it.
Numeric spellings of IPv4 (2130706433, 0x7f.1, 017700000001, 127.1) are read as the address they mean.
HUB_WEBHOOK_ALLOW_PRIVATE_NETWORKS=1 lifts the address check (development and tests), never the rest.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from hub.config import Settings
from hub.webhooks.models import URL_MAX_LENGTH

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TIMEOUT_SECONDS = 5.0
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class RefusedUrl(Exception):
    """A webhook URL the hub will not send to; the message says why, for the partner to act on."""


@dataclass(frozen=True)
class UrlPolicy:
    """What a webhook URL must be in this deployment."""

    allow_private: bool
    require_https: bool

    @classmethod
    def of(cls, settings: Settings) -> UrlPolicy:
        return cls(allow_private=settings.webhook_allow_private_networks, require_https=settings.is_production)


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: the checked address, and the name the endpoint expects to be called by."""

    url: str  # the URL with the checked address as its host
    host_header: str
    sni_hostname: str | None


def numeric_address(host: str) -> IPAddress | None:
    """The address a host written as a number means (any IPv4 or IPv6 spelling), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # 2130706433, 0x7f.1, 017700000001, 127.1
    except OSError:
        return None


def why_refused(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = why_refused(embedded)
            return f"it carries the IPv4 address {embedded}, and {reason}" if reason else None
    for kind in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: mapped, 6to4, Teredo, NAT64 or the old IPv4-compatible form."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse(url: str, policy: UrlPolicy) -> SplitResult:
    """The URL's parts, if it has the shape of a webhook endpoint; RefusedUrl otherwise."""
    if len(url) > URL_MAX_LENGTH:
        raise RefusedUrl(f"The URL is longer than {URL_MAX_LENGTH} characters.")
    parts = urlsplit(url.strip())
    schemes = ("https",) if policy.require_https else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname:
        raise RefusedUrl("The URL must be an absolute " + " or ".join(schemes) + " URL.")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise RefusedUrl("The URL may not hold credentials or a fragment: the signature authenticates the hub.")
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError:
        raise RefusedUrl("The URL's port is not a valid port number.") from None
    return parts


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the name resolves to (tests replace this to play a DNS server)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
        answers = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(answer[4][0]) for answer in answers))


async def addresses(parts: SplitResult, policy: UrlPolicy) -> list[IPAddress]:
    """The host's addresses, every one of them checked; RefusedUrl if any is not allowed."""
    host = parts.hostname or ""
    numeric = numeric_address(host)
    if numeric is not None:
        found = [numeric]
    else:
        found = await _resolved(host, _port(parts))
    if not policy.allow_private:
        for address in found:
            reason = why_refused(address)
            if reason:
                raise RefusedUrl(f"Webhooks only go to public addresses: {host} resolves to {address}, and {reason}.")
    return found


async def _resolved(host: str, port: int) -> list[IPAddress]:
    try:
        found = await resolve(host, port)
    except (OSError, TimeoutError, UnicodeError):
        found = []
    if not found:
        raise RefusedUrl(f"The host {host} cannot be resolved.")
    return found


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, policy: UrlPolicy) -> str:
    """The URL, stripped, if the hub may send webhooks to it now; RefusedUrl naming the reason otherwise."""
    await addresses(parse(url, policy), policy)
    return url.strip()


async def target(url: str, policy: UrlPolicy) -> Target:
    """Resolve and check the URL's host, and say where to connect: the first checked address."""
    parts = parse(url, policy)
    address = (await addresses(parts, policy))[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{_port(parts)}"
    rebuilt = parts._replace(netloc=netloc, fragment="").geturl()
    host = parts.hostname or ""
    host_header = parts.netloc.rpartition("@")[2]
    sni = host if parts.scheme == "https" and numeric_address(host) is None else None
    return Target(url=rebuilt, host_header=host_header, sni_hostname=sni)
