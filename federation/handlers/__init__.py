"""The engine's own inbox handlers, one per activity type, for the protocol's activities: following and actors.

What stories, offers or anything else mean is the application's (it registers listeners, `federation.listeners`).
The inbox worker tries them after the application's listeners for the same type.
"""

from federation.handlers.actors import handle_delete, handle_update
from federation.handlers.follows import handle_accept, handle_follow, handle_reject, handle_undo
from federation.listeners import Ignored, Listener

DEFAULTS: dict[str, Listener] = {
    "Follow": handle_follow,
    "Undo": handle_undo,
    "Accept": handle_accept,
    "Reject": handle_reject,
    "Update": handle_update,
    "Delete": handle_delete,
}


__all__ = ["DEFAULTS", "Ignored"]
