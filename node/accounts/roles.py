"""Roles and what each may do: the one table the editor API's role check reads (see `access.py` for routes)."""

from __future__ import annotations

__all__ = ["PERMISSIONS", "ROLES", "allows", "least_role_for"]

# From least to most trusted; a role's list says everything it may do.
ROLES = ("viewer", "translator", "editor", "admin")

# What each permission covers:
#   read       read stories, the wire, translations, media, the network, verify documents
#   self       log out, change one's own password, make and revoke one's own API tokens
#   translate  submit, edit, approve and reject translations; request machine translation; translation offers
#   publish    publish, correct and kill stories; import ninjs; forward (Announce) wire stories
#   network    follow and unfollow agencies; approve and reject followers
#   media      upload media to the stock and edit its descriptions
#   users      manage users; read the audit trail
#   operations rotate keys and other operator actions
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read", "self"}),
    "translator": frozenset({"read", "self", "translate"}),
    "editor": frozenset({"read", "self", "translate", "publish", "network", "media"}),
    "admin": frozenset({"read", "self", "translate", "publish", "network", "media", "users", "operations"}),
}


def allows(role: str, permission: str) -> bool:
    """Whether `role` may do what `permission` names (an unknown role may do nothing)."""
    return permission in PERMISSIONS.get(role, frozenset())


def least_role_for(permission: str) -> str:
    """The least trusted role that has `permission` (for the message of a refusal)."""
    return next((r for r in ROLES if permission in PERMISSIONS[r]), "admin")
