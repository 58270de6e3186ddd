"""Where links point: the public base URL, from the setting or from a request checked strictly.

With ``FEEDSVC_BASE_URL`` set, every link is built from it and no request header can change one.
Without it, links follow the request: its Host, and X-Forwarded-Proto/-Host/-Port from exactly
``FEEDSVC_PROXY_HOPS`` proxies (werkzeug's ProxyFix has applied them by now). Each value is then
checked here, so a forged header gets a 400, never a link to ``javascript:`` or to a made-up host.
"""

from __future__ import annotations

import ipaddress
import re

# fullmatch, never match with $: "$" also matches before a final newline.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
SCHEMES = ("http", "https")


class BadHost(ValueError):
    """A Host (or forwarded host, port or scheme) that no link may be built from."""


def check_host(host: str) -> str:
    """``host`` if it is a DNS name, IPv4 or bracketed IPv6 address with an optional port; else :class:`BadHost`."""
    name, port = _split_port(host)
    if port is not None and not (_PORT.fullmatch(port) and int(port) <= 65535):
        raise BadHost(f"invalid port in Host header {host[:80]!r}")
    if name.startswith("["):
        # A zone id ("%eth0", RFC 6874) names an interface of the client's machine, never a public
        # host, and ipaddress accepts any text in it: refused.
        address = name[1:-1] if name.endswith("]") and "%" not in name else "-"
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise BadHost(f"invalid IPv6 address in Host header {host[:80]!r}") from None
        return host
    bare = name[:-1] if name.endswith(".") else name  # the root's dot is not part of the 253 (RFC 1035 §2.3.4)
    if not bare or len(bare) > 253 or not all(_LABEL.fullmatch(label) for label in bare.split(".")):
        raise BadHost(f"invalid Host header {host[:80]!r}")
    return host


def _split_port(host: str) -> tuple[str, str | None]:
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return host, None
        rest = host[end + 1 :]
        if rest and not rest.startswith(":"):
            raise BadHost(f"invalid Host header {host[:80]!r}")
        return host[: end + 1], rest[1:] if rest else None
    name, colon, port = host.partition(":")
    return name, port if colon else None


def request_base_url(scheme: str, host: str) -> str:
    """``scheme://host`` for links, the default port dropped; :class:`BadHost` for anything forged."""
    if scheme not in SCHEMES:
        raise BadHost(f"invalid scheme {scheme[:40]!r} (X-Forwarded-Proto?)")
    check_host(host)
    default_port = ":443" if scheme == "https" else ":80"
    if host.endswith(default_port):
        host = host[: -len(default_port)]
    return f"{scheme}://{host}"
