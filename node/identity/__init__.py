"""The agency's identity: its key pairs, the proof keys it lists, key rotation, and the key route."""

__all__ = [
    "models", "proofkeys", "rotation", "routes",
]
