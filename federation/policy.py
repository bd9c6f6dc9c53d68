"""Trust policy (pure): which domains may federate with us, and which agencies are trusted partners.

Built by the application from the ``[trust]`` config section and passed in; nothing here reads config.

- ``mode = "blocklist"`` (default): every domain federates except those listed in ``domains``.
- ``mode = "allowlist"``: only the listed domains, plus the partners' domains, federate.

A domain entry matches the host itself and its subdomains (``example.org`` covers ``news.example.org``); a
port in an entry (``127.0.0.1:8123``) matches only that port, which is how loopback test nodes are told apart.
Partners are actor URIs or ``user@host`` handles; a partner is always allowed, even in blocklist mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

__all__ = ["TrustPolicy", "host_of"]

MODES = ("blocklist", "allowlist")

# Verdicts remembered per policy (`allows_host`): a fan-out asks about every inbox of every story, several times
# (by inbox URL and by host: two entries per host, 40,000 for a fan-out to 20,000 hosts). Bounded in number and in
# key length (at most about 20 MiB), so URLs a peer makes up cannot fill memory.
_VERDICTS_KEPT = 65536
_VERDICT_KEY_CHARS = 200


def host_of(url_or_host: str) -> str:
    """The lower-case ``host[:port]`` of a URL, a ``user@host`` handle or a bare host."""
    return _host_of(url_or_host)


@lru_cache(maxsize=4096)  # every inbox request asks for its actor's and its key's host: the same few senders
def _host_of(url_or_host: str) -> str:
    text = url_or_host.strip()
    if "://" in text:
        return urlsplit(text).netloc.lower().rsplit("@", 1)[-1]
    text = text.removeprefix("acct:").lstrip("@")
    return text.rsplit("@", 1)[-1].lower()


def _matches(host: str, entry: str) -> bool:
    if ":" in entry:
        return host == entry
    name = host.split(":", 1)[0] if host.count(":") == 1 else host
    return name == entry or name.endswith("." + entry)


@dataclass(frozen=True)
class TrustPolicy:
    """The operator's trust decisions. The default lets every domain federate and trusts nobody specially."""

    mode: str = "blocklist"
    domains: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    _partner_uris: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _partner_handles: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _partner_host_set: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _verdicts: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"trust mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        object.__setattr__(self, "domains", tuple(host_of(d) for d in self.domains if d.strip()))
        uris = frozenset(p.strip() for p in self.partners if "://" in p)
        handles = frozenset(p.strip().removeprefix("acct:").lstrip("@").lower() for p in self.partners
                            if "://" not in p and "@" in p)
        object.__setattr__(self, "_partner_uris", uris)
        object.__setattr__(self, "_partner_handles", handles)
        object.__setattr__(self, "_partner_host_set", frozenset(
            {host_of(p) for p in uris} | {h.rsplit("@", 1)[-1] for h in handles}))

    def _partner_hosts(self) -> frozenset[str]:
        return self._partner_host_set

    def is_partner_host(self, host_or_url: str) -> bool:
        """Whether a domain is a partner agency's (a listed partner's host, or a subdomain of it)."""
        host = host_of(host_or_url)
        return any(_matches(host, p) for p in self._partner_hosts())

    def allows_host(self, host_or_url: str) -> bool:
        """Whether a domain may federate with us (deliveries to it, posts from it)."""
        # Remembered per policy (a policy never changes: a new one replaces it), a bounded number of them.
        verdict = self._verdicts.get(host_or_url)
        if verdict is None:
            verdict = self._allows(host_of(host_or_url))
            if len(host_or_url) <= _VERDICT_KEY_CHARS:
                if len(self._verdicts) >= _VERDICTS_KEPT:
                    self._verdicts.clear()
                self._verdicts[host_or_url] = verdict
        return verdict

    def _allows(self, host: str) -> bool:
        if any(_matches(host, p) for p in self._partner_hosts()):
            return True
        listed = any(_matches(host, d) for d in self.domains)
        return not listed if self.mode == "blocklist" else listed

    def is_partner(self, actor_uri: str, handle: str | None = None) -> bool:
        """Whether an actor is a trusted partner agency (by its URI, or by its ``user@host`` handle)."""
        if actor_uri in self._partner_uris:
            return True
        return bool(handle) and handle.removeprefix("acct:").lstrip("@").lower() in self._partner_handles
