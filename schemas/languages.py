"""BCP 47 language tags: normalise and validate them with babel (CLDR), and name them for people.

`normalize_tag("AZ_cyrl")` gives ``"az-Cyrl"``; an unknown or malformed tag raises ValueError with a message an
editor can act on. The tag the user gave is kept (only its case and separators change): it is never
round-tripped through babel, which would turn ``kk-Latn`` into Cyrillic Kazakh (DEPENDENCIES.md).
`display_name("az-Cyrl", "ru")` names a language in the viewer's language, from CLDR.
"""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError

__all__ = ["display_name", "is_valid_tag", "normalize_tag", "split_tag"]

# language [-script] [-region] (-variant)*   (RFC 5646 2.1, without extensions and private use)
_SUBTAGS = re.compile(
    r"^(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)$"
)
MAX_TAG_LENGTH = 35  # RFC 5646 4.4.1: implementations should accept tags up to 35 characters


@functools.lru_cache(maxsize=1)
def _english() -> Locale:
    return Locale("en")


@functools.lru_cache(maxsize=512)
def _known_language(code: str) -> bool:
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def split_tag(tag: str) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """(language, script, region, variants) of a normalised tag."""
    match = _SUBTAGS.match(tag.lower())
    if match is None:
        raise ValueError(f"{tag!r} is not a BCP 47 language tag")
    variants = tuple(v for v in (match["variants"] or "").split("-") if v)
    script, region = match["script"], match["region"]
    return (match["language"], script.title() if script else None, region.upper() if region else None,
            variants)


@functools.lru_cache(maxsize=1024)
def normalize_tag(tag: str) -> str:
    """The canonical spelling of a BCP 47 tag babel knows: ``az``, ``az-Cyrl``, ``uz-Latn``, ``zh-Hans``, ``pt-BR``.

    Underscores are read as hyphens and case is fixed (language lower, script title, region upper). Raises
    ValueError naming what is wrong: malformed, unknown language, unknown script or unknown region.
    """
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("a language tag is required (BCP 47, e.g. az, az-Cyrl, zh-Hans)")
    raw = tag.strip()
    if len(raw) > MAX_TAG_LENGTH:
        raise ValueError(f"{raw[:40]!r} is too long for a language tag (at most {MAX_TAG_LENGTH} characters)")
    match = _SUBTAGS.match(raw.replace("_", "-").lower())
    if match is None:
        raise ValueError(f"{raw!r} is not a BCP 47 language tag (expected language[-Script][-REGION], "
                         "e.g. az, az-Cyrl, uz-Latn, zh-Hans, pt-BR)")
    language, script, region = match["language"], match["script"], match["region"]
    if not _known_language(language):
        raise ValueError(f"{raw!r}: unknown language {language!r} (not in CLDR)")
    parts = [language]
    if script:
        script = script.title()
        if script not in _english().scripts or script.startswith("Zz"):
            raise ValueError(f"{raw!r}: unknown script {script!r} (ISO 15924, e.g. Latn, Cyrl, Arab, Hans)")
        parts.append(script)
    if region:
        region = region.upper()
        if region not in _english().territories or region in ("ZZ",):
            raise ValueError(f"{raw!r}: unknown region {region!r} (ISO 3166 or UN M.49, e.g. AZ, TR, 419)")
        parts.append(region)
    parts.extend(v for v in (match["variants"] or "").split("-") if v)
    return "-".join(parts)


def is_valid_tag(tag: str) -> bool:
    """Whether `normalize_tag` accepts the tag."""
    try:
        normalize_tag(tag)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def _viewer(in_locale: str) -> Locale:
    # babel loses the script of some tags (DEPENDENCIES.md): try the whole tag, then the bare language.
    try:
        tag = normalize_tag(in_locale)
    except ValueError:
        return _english()
    for candidate in (tag, tag.split("-")[0]):
        try:
            return Locale.parse(candidate, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return _english()


@functools.lru_cache(maxsize=2048)
def display_name(tag: str, in_locale: str = "en") -> str:
    """The language's name in the viewer's language, from CLDR: ``display_name("az-Cyrl", "en")`` is
    "Azerbaijani (Cyrillic)", ``display_name("kk", "ru")`` is "казахский". Falls back to English for a viewer
    locale babel does not know, and to the tag itself for names CLDR lacks."""
    language, script, region, variants = split_tag(normalize_tag(tag))
    viewer = _viewer(in_locale or "en")
    name = viewer.languages.get(language) or _english().languages.get(language) or language
    details = []
    if script:
        details.append(viewer.scripts.get(script) or script)
    if region:
        details.append(viewer.territories.get(region) or region)
    details.extend(variants)
    return f"{name} ({', '.join(details)})" if details else name
