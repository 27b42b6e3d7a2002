"""Watch addresses and tokens: ``unix:PATH`` or ``HOST:PORT``, loopback unless remote is allowed."""

from __future__ import annotations

import ipaddress
from typing import Any

from .errors import InvalidArgument

__all__ = ["check_token", "parse_address"]


def parse_address(address: object, *, allow_remote: bool = False) -> tuple[str, Any]:
    """``("unix", path)`` or ``("tcp", (host, port))`` for ``address``; InvalidArgument if malformed.

    A TCP host that is not loopback is refused unless ``allow_remote``.
    """
    if not isinstance(address, str):
        raise InvalidArgument(f"address must be a string like unix:PATH or HOST:PORT, not {type(address).__name__}")
    if address.startswith("unix:"):
        path = address[5:]
        if not path or "\0" in path:
            raise InvalidArgument(f"address {address!r} names no socket path")
        return "unix", path
    host, colon, port_text = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise InvalidArgument(f"address {address!r} is not unix:PATH or HOST:PORT (port 0..65535)")
    if not allow_remote and not _is_loopback(host):
        raise InvalidArgument(
            f"address {address!r} is not loopback: allow remote watching explicitly (--allow-remote), with a token"
        )
    return "tcp", (host, int(port_text))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token(token: object) -> str | None:
    """``token`` if it is None or a non-empty one-line string; else InvalidArgument."""
    if token is not None and (not isinstance(token, str) or not token or "\n" in token):
        raise InvalidArgument("token must be a non-empty one-line string or None")
    return token
