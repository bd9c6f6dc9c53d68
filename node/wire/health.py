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
    """One followed agency: its actor, the follow's state, its last story (None: none yet), whether it sent any,
    and the alarm."""

    actor: RemoteActor
    follow_state: str
    last_story_at: datetime | None
    stories: int  # 1 when it sent at least one (the list shows no counts: counting would scan the wire)
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
    for actor_id in ids:
        # One probe of the (actor_id, received_at) index per partner (migration 0013), not a scan of the wire.
        newest = await WireStory.filter(actor_id=actor_id).order_by("-received_at").only("id", "received_at").first()
        when = newest.received_at if newest is not None else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        last[actor_id] = (when, 1 if newest is not None else 0)
    limit = timedelta(hours=idle_hours)
    out = []
    for follow in follows:
        when, count = last.get(follow.actor_id, (None, 0))  # type: ignore[attr-defined]
        since = when or follow.created_at
        since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
        out.append(PartnerHealth(follow.actor, follow.state, when, count,
                                 idle=follow.state == "accepted" and now - since > limit))
    return sorted(out, key=lambda p: (not p.idle, (p.actor.name or p.actor.handle).lower()))
