"""HTTP routes: well-known documents, ActivityPub documents and inboxes, the editor API."""

__all__ = ["activitypub", "api", "keys", "negotiation", "problems", "wellknown"]
