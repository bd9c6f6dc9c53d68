"""Inbox handlers, one per activity type, registered in `HANDLERS`. Unknown types are recorded as ignored."""

from federation.handlers.base import Ignored, Handler
from federation.handlers.follows import handle_accept, handle_follow, handle_reject, handle_undo
from federation.handlers.actors import handle_delete, handle_update
from federation.handlers.stories import handle_announce, handle_create

HANDLERS: dict[str, Handler] = {
    "Follow": handle_follow,
    "Undo": handle_undo,
    "Accept": handle_accept,
    "Reject": handle_reject,
    "Create": handle_create,
    "Update": handle_update,
    "Delete": handle_delete,
    "Announce": handle_announce,
}

__all__ = ["HANDLERS", "Handler", "Ignored"]
