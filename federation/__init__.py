"""The federation protocol: signatures, keys, WebFinger, fetching, inbox processing, delivery queue and workers."""

__all__ = [
    "context", "delivery", "errors", "fetch", "glossary", "handlers", "hosts", "htmlchunks", "http", "inbox", "keys",
    "libretranslate", "mt", "outbox", "queue", "retry", "rfc9421", "sanitize", "signatures", "states", "vocab", "worker",
]
