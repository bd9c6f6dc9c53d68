"""Per-partner health on the wire: for each agency we follow, when its last story arrived and whether it has been
silent longer than the desk's idle threshold (`[desk] partner_idle_hours`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from federation.store.models import Following, RemoteActor
from node.wire.models import WireStory

__all__ = ["PartnerHealth", "partner_health"]


@dataclass(frozen=True)
class PartnerHealth:
    """One followed agency: its actor, the follow's state, its last story (None: none yet) and the alarm."""

    actor: RemoteActor
    follow_state: str
    last_story_at: datetime | None
    stories: int
    idle: bool


async def partner_health(idle_hours: float, now: datetime | None = None) -> list[PartnerHealth]:
    """Every agency we follow or asked to follow, idle ones first, then by name. A partner is idle when its last
    story (or, before its first, our follow) is older than `idle_hours`."""
    now = now or datetime.now(timezone.utc)
    follows = []
    seen: set[int] = set()
    # One row per agency (our agency and its language channels may each follow it), an accepted follow first.
    for follow in await Following.filter(state__in=("accepted", "pending")).order_by("state", "id").prefetch_related(
            "actor"):
        if follow.actor_id not in seen:  # type: ignore[attr-defined]
            seen.add(follow.actor_id)  # type: ignore[attr-defined]
            follows.append(follow)
    ids = list({f.actor_id for f in follows})  # type: ignore[attr-defined]
    last: dict[int, tuple[datetime | None, int]] = {}
    if ids:
        conn = WireStory._meta.db
        postgres = conn.capabilities.dialect == "postgres"
        marks = ", ".join(f"${n + 1}" if postgres else "?" for n in range(len(ids)))
        _, rows = await conn.execute_query(
            f"SELECT actor_id, MAX(received_at) AS last, COUNT(*) AS n FROM wire_story WHERE actor_id IN ({marks}) "
            "GROUP BY actor_id", ids)
        for row in rows:
            value = row["last"]
            if isinstance(value, str):  # SQLite hands back the stored text
                value = datetime.fromisoformat(value)
            if value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            last[row["actor_id"]] = (value, int(row["n"]))
    limit = timedelta(hours=idle_hours)
    out = []
    for follow in follows:
        when, count = last.get(follow.actor_id, (None, 0))  # type: ignore[attr-defined]
        since = when or follow.created_at
        since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
        out.append(PartnerHealth(follow.actor, follow.state, when, count,
                                 idle=follow.state == "accepted" and now - since > limit))
    return sorted(out, key=lambda p: (not p.idle, (p.actor.name or p.actor.handle).lower()))
