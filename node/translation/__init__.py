"""Translations: human translations and their review, machine-translation jobs and engines (LibreTranslate,
Apertium, Bergamot), glossaries, offers exchanged with partner agencies, language channels, and their routes."""

__all__ = [
    "apertium", "bergamot", "channels", "glossary", "htmlchunks", "job_routes", "jobs", "libretranslate", "machine", "models", "mt",
    "offer_listeners", "offers", "review", "routes", "states",
]
