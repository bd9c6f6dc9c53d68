"""The audit trail: who made each change through the editor API (or the CLI), and reading it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from node.accounts.models import AuditEvent

__all__ = ["Principal", "audit_json", "recent", "record"]


@dataclass(frozen=True)
class Principal:
    """Who is behind a request: a user (by session or token) or the node itself (node token, CLI)."""

    username: str
    role: str
    via: str  # node-token | token | session | cli
    user_id: int | None = None
    session_id: int | None = None
    csrf_token: str = ""  # a session's synchroniser token

    @property
    def is_user(self) -> bool:
        return self.user_id is not None


async def record(who: Principal, action: str, subject: str = "", method: str = "", path: str = "") -> AuditEvent:
    """Write one audit event."""
    return await AuditEvent.create(at=datetime.now(timezone.utc), actor=who.username[:64], role=who.role,
                                   via=who.via, action=action[:64], subject=subject[:1024], method=method[:8],
                                   path=path[:1024])


async def recent(limit: int = 100, actor: str | None = None) -> list[AuditEvent]:
    """The latest events, newest first."""
    query = AuditEvent.all() if actor is None else AuditEvent.filter(actor=actor)
    return await query.order_by("-id").limit(max(1, min(limit, 1000)))


def audit_json(row: AuditEvent) -> dict[str, Any]:
    """One event as the API shows it."""
    return {"id": row.id, "at": row.at.isoformat().replace("+00:00", "Z"), "actor": row.actor, "role": row.role,
            "via": row.via, "action": row.action, "subject": row.subject, "method": row.method, "path": row.path}
