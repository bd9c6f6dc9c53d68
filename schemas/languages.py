"""BCP 47 language tags: normalised, validated against CLDR (babel), and named in the viewer's language.

The tag the user gave is kept (only its case is normalised): babel is used to validate each subtag and to name
it, never to rewrite it, since a round-trip through babel can change the script (``kk-Latn`` comes back as
Cyrillic Kazakh, see DEPENDENCIES.md).
"""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError

__all__ = ["display_name", "normalize_tag"]

_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


@functools.lru_cache(maxsize=1)
def _english() -> Locale:
    return Locale("en")


def _split(tag: str) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("a language tag must be a non-empty string such as 'az' or 'uz-Latn'")
    parts = tag.strip().replace("_", "-").split("-")
    if not all(_SUBTAG.match(p) for p in parts):
        raise ValueError(f"{tag!r} is not a well-formed BCP 47 language tag")
    language, rest = parts[0].lower(), parts[1:]
    if not (2 <= len(language) <= 3 and language.isalpha()) or language == "und":
        raise ValueError(f"{tag!r}: {language!r} is not a language subtag")
    script = region = None
    if rest and len(rest[0]) == 4 and rest[0].isalpha():
        script, rest = rest[0].title(), rest[1:]
    if rest and ((len(rest[0]) == 2 and rest[0].isalpha()) or (len(rest[0]) == 3 and rest[0].isdigit())):
        region, rest = rest[0].upper(), rest[1:]
    variants = tuple(v.lower() for v in rest)
    if any(len(v) < 4 for v in variants):  # extensions and private use are not language tags we store
        raise ValueError(f"{tag!r}: unsupported subtags {'-'.join(variants)!r}")
    return language, script, region, variants


def normalize_tag(tag: str) -> str:
    """The tag in canonical case (``AZ-cyrl`` -> ``az-Cyrl``, ``pt_br`` -> ``pt-BR``); ValueError if unknown.

    The language must be one CLDR knows, the script and region must be real CLDR codes.
    """
    language, script, region, variants = _split(tag)
    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"{tag!r}: unknown language {language!r}") from None
    en = _english()
    if script is not None and script not in en.scripts:
        raise ValueError(f"{tag!r}: unknown script {script!r}")
    if region is not None and region not in en.territories:
        raise ValueError(f"{tag!r}: unknown region {region!r}")
    return "-".join(p for p in (language, script, region, *variants) if p)


def display_name(tag: str, in_locale: str = "en") -> str:
    """The language's name in the viewer's language (``display_name('az-Cyrl', 'ru')`` ->
    ``азербайджанский (кириллица)``); English when the viewer's locale is unknown. ValueError on a bad tag."""
    language, script, region, _ = _split(normalize_tag(tag))
    try:
        viewer = Locale.parse(normalize_tag(in_locale), sep="-")
    except (ValueError, UnknownLocaleError):
        viewer = _english()
    # Built from the subtags, not parsed, so babel cannot swap the script (kk-Latn stays Latin).
    try:
        name = Locale(language, territory=region, script=script).get_display_name(viewer)
    except (UnknownLocaleError, ValueError):  # a valid tag CLDR has no locale data for, e.g. kk-Latn
        base = viewer.languages.get(language) or _english().languages.get(language) or language
        details = [n for n in (viewer.scripts.get(script or ""), viewer.territories.get(region or "")) if n]
        name = f"{base} ({', '.join(details)})" if details else base
    return name or tag
