"""The Host names `kg serve` answers to (against DNS rebinding). What queries may ask is checked by
``kg.query_guard``, shared with ``kg mcp``."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["allowed_host", "host_name", "host_names", "is_ip"]


# ------------------------------------------------------------------ Host header (DNS rebinding)


def host_name(header: str) -> str | None:
    """The name part of a Host header (``[::1]:8000`` -> ``::1``), lower case; None if malformed."""
    h = header.strip().lower()
    if not h:
        return None
    if h.startswith("["):
        end = h.find("]")
        if end < 0:
            return None
        name, rest = h[1:end], h[end + 1 :]
    else:
        name, _, port = h.partition(":")
        rest = ":" + port if port else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return None
    return name or None


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_host(header: str | None, names: frozenset[str]) -> bool:
    """A request's Host is fine when it names the server by an IP address (DNS rebinding needs a
    host *name* that resolves to us) or by one of ``names``."""
    if header is None:
        return False
    name = host_name(header)
    if name is None:
        return False
    return is_ip(name) or name.rstrip(".") in names


def host_names(bind_host: str, public_url: str | None, extra: list[str] | tuple = ()) -> frozenset[str]:
    """Names the server answers to: the bound host (if a name), ``localhost`` for a loopback bind,
    the public URL's host and any ``--allow-host``."""
    names = {n.lower().rstrip(".") for n in extra}
    if not is_ip(bind_host):
        names.add(bind_host.lower())
    try:
        loopback = bind_host == "localhost" or ipaddress.ip_address(bind_host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        names.add("localhost")
    if public_url:
        h = urlsplit(public_url).hostname
        if h:
            names.add(h.lower())
    return frozenset(names)
