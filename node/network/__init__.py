"""The network: following agencies and deciding on followers, the trust policy, and their routes."""

__all__ = [
    "following", "queries", "routes", "trust",
]
