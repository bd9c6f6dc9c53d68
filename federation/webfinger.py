"""WebFinger client: turn ``acct:name@host[:port]`` into an actor URL."""

from __future__ import annotations

import ipaddress
from urllib.parse import quote

from marshmallow import ValidationError

from federation.errors import ObjectUnavailable
from federation.http import HttpClient
from schemas.webfinger import parse_acct, parse_jrd


def _scheme_for(host: str, allow_private: bool) -> str:
    # Real peers speak https. Plain http only for loopback/IP-literal hosts, and only when the operator
    # allowed private addresses (tests and the demo run on http://127.0.0.1:PORT).
    hostname = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 or host.startswith("[") else host
    try:
        literal = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if allow_private and (hostname == "localhost" or (literal is not None and not literal.is_global)):
        return "http"
    return "https"


async def resolve_handle(http: HttpClient, handle: str) -> str:
    """The actor URL for a handle (``acct:user@host``, ``user@host`` or ``@user@host``), or an actor URL as is."""
    if handle.startswith(("http://", "https://")):
        return handle
    user, host = parse_acct(handle)
    scheme = _scheme_for(host, http.policy.allow_private)
    url = f"{scheme}://{host}/.well-known/webfinger?resource={quote(f'acct:{user}@{host}', safe=':@')}"
    doc = await http.get_json(url, None, accept="application/jrd+json, application/json")
    try:
        return parse_jrd(doc)
    except ValidationError as exc:
        raise ObjectUnavailable(f"{handle}: WebFinger answer has no ActivityPub actor link ({exc.messages})") \
            from None
