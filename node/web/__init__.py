"""The web face of the node: the app factory, well-known and ActivityPub documents, the inbox route, content
negotiation, problems (RFC 9457), the document cache, HTML pages, and the editor API's common ground."""

__all__ = ["activitypub", "api", "app", "doccache", "keys", "negotiation", "pages", "problems", "wellknown"]
