"""The node's rate limits ([limits]): inbox POSTs per remote host and per signing key, editor API calls per user
or token. Over a limit: 429 with Retry-After (a peer retries later, nothing is lost). The limit on open connections
per peer address is kept here too (node/web/connections.py applies it, before any request)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from federation.ratelimit import RateLimit, RateLimiter
from node.config import Config
from node.web.connections import DEFAULT_EXEMPT, DEFAULT_PER_ADDRESS, ConnectionLimit

__all__ = ["LIMITS", "Limits", "signing_key_of"]

# keyId="..." (draft-cavage) or keyid="..." (an RFC 9421 Signature-Input parameter): read without parsing the
# whole header, before any verification work.
_KEY_ID = re.compile(r'key[iI]d="([^"]{1,2048})"')


def signing_key_of(headers: "web.BaseRequest.headers") -> str:  # type: ignore[name-defined]
    """The key id a signed request names (Signature, else Signature-Input), or "" when it names none."""
    for name in ("Signature", "Signature-Input"):
        value = headers.get(name, "")
        if value:
            found = _KEY_ID.search(value[:8192])
            if found:
                return found.group(1)
    return ""


@dataclass
class Limits:
    """The limiters of one node."""

    inbox_host: RateLimiter
    inbox_key: RateLimiter
    api: RateLimiter
    exempt_partners: bool
    connections: ConnectionLimit

    @classmethod
    def from_config(cls, config: Config) -> "Limits":
        section = config.limits or {}

        def limit(prefix: str, burst: int, rate: float) -> RateLimiter:
            return RateLimiter(RateLimit(int(section.get(f"{prefix}_burst", burst)),
                                         float(section.get(f"{prefix}_rate", rate))))
        return cls(inbox_host=limit("inbox_host", 1000, 50.0), inbox_key=limit("inbox_key", 300, 20.0),
                   api=limit("api", 300, 10.0), exempt_partners=bool(section.get("exempt_partners", True)),
                   connections=ConnectionLimit(int(section.get("connections_per_address", DEFAULT_PER_ADDRESS)),
                                               section.get("connections_exempt", DEFAULT_EXEMPT)))

    def inbox_wait(self, key_id: str, is_partner_host: "callable") -> int:  # type: ignore[valid-type]
        """Seconds an inbox POST signed with `key_id` must wait (0: go ahead). Unsigned requests are not
        counted here: they are refused with 401 before any work."""
        if not key_id:
            return 0
        host = (urlsplit(key_id).hostname or "").lower()
        if self.exempt_partners and host and is_partner_host(host):
            return 0
        # The key first: a key over its own limit spends nothing of its host's (other keys there go on).
        return self.inbox_key.take(key_id) or self.inbox_host.take(host)


LIMITS: web.AppKey[Limits] = web.AppKey("rate_limits", Limits)
