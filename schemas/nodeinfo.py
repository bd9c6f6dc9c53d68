"""NodeInfo discovery and documents, versions 2.0 and 2.1 (pure).

See http://nodeinfo.diaspora.software/protocol. The software name must match ``^[a-z0-9-]+$``.
"""

from __future__ import annotations

import re

__all__ = ["NODEINFO_VERSIONS", "SOFTWARE_NAME", "nodeinfo", "nodeinfo_links", "schema_rel"]

SOFTWARE_NAME = "agency-node"
NODEINFO_VERSIONS = ("2.1", "2.0")
_NAME_RE = re.compile(r"^[a-z0-9-]+$")


def schema_rel(version: str) -> str:
    """The link relation naming one NodeInfo schema version."""
    return f"http://nodeinfo.diaspora.software/ns/schema/{version}"


def nodeinfo_links(base_url: str) -> dict:
    """The ``/.well-known/nodeinfo`` document linking the 2.1 and 2.0 documents under base_url."""
    base = base_url.rstrip("/")
    return {
        "links": [
            {"rel": schema_rel(v), "href": f"{base}/nodeinfo/{v}"} for v in NODEINFO_VERSIONS
        ]
    }


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return value


def nodeinfo(
    version: str,
    software_version: str,
    users: int,
    local_posts: int,
    open_registrations: bool = False,
    metadata: dict | None = None,
    *,
    active_month: int | None = None,
    active_halfyear: int | None = None,
) -> dict:
    """A NodeInfo document of ``version`` ("2.0" or "2.1").

    Active-user counts default to ``users``: an agency's actors publish on the wire, so every
    one counts as active unless the caller knows better.
    """
    if version not in NODEINFO_VERSIONS:
        raise ValueError(f"unsupported NodeInfo version {version!r}")
    if not _NAME_RE.match(SOFTWARE_NAME):  # pragma: no cover - guards a constant
        raise ValueError("software name must match ^[a-z0-9-]+$")
    if not isinstance(software_version, str) or not software_version:
        raise ValueError("software_version must be a non-empty string")
    users = _count("users", users)
    return {
        "version": version,
        "software": {"name": SOFTWARE_NAME, "version": software_version},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": bool(open_registrations),
        "usage": {
            "users": {
                "total": users,
                "activeMonth": _count("active_month", users if active_month is None else active_month),
                "activeHalfyear": _count(
                    "active_halfyear", users if active_halfyear is None else active_halfyear
                ),
            },
            "localPosts": _count("local_posts", local_posts),
        },
        "metadata": dict(metadata or {}),
    }
