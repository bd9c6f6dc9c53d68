"""Translations: human translations and their review, machine-translation jobs and engines (LibreTranslate),
glossaries, offers exchanged with partner agencies, language channels, and their routes."""

__all__ = [
    "channels", "glossary", "htmlchunks", "job_routes", "jobs", "libretranslate", "machine", "models", "mt",
    "offer_listeners", "offers", "review", "routes", "states",
]
