"""The wire: stories received from followed agencies (the inbox listeners that make them), their proof
verdicts and revisions, forwarding (Announce), `verify`, and the editor API's wire routes."""

__all__ = [
    "forwarding", "languages", "listeners", "models", "provenance", "queries", "revisions", "routes",
    "verification",
]
