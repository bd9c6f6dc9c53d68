"""Pure marshmallow schemas and document builders: ActivityStreams, WebFinger, NodeInfo, config."""

__all__ = ["activitystreams", "actors", "config", "configcheck", "languages", "nodeinfo", "webfinger"]
