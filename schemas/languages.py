"""BCP 47 language tags as an agency writes them: checked against CLDR (through babel) and normalised.

`normalize_tag("AZ-cyrl")` gives ``"az-Cyrl"``; `display_name("az-Cyrl", "en")` gives ``"Azerbaijani
(Cyrillic)"``. Only ``language[-Script][-REGION]`` is accepted (``az``, ``az-Cyrl``, ``uz-Latn``, ``zh-Hans``,
``pt-BR``, ``es-419``): that is what newsrooms label stories with, and it is what ActivityStreams language maps
and babel both understand.

The tag the editor gave is kept, only its case is normalised (RFC 5646 section 2.1.1: language lower case,
script title case, region upper case). It is never round-tripped through babel, because babel rewrites tags:
``kk-Latn`` becomes Cyrillic Kazakh, ``en-Cyrl`` loses its script, ``und`` becomes ``en_US`` (DEPENDENCIES.md).
Babel only answers "is this a language, script, region CLDR knows?".
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

__all__ = ["display_name", "normalize_tag"]

# language (2-3 letters) [-script (4 letters)] [-region (2 letters or 3 digits)]
_TAG = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?")
# ISO 639 special codes: babel parses `und` as English, which would silently mislabel stories.
_NOT_A_LANGUAGE = frozenset({"und", "mul", "mis", "zxx"})


@lru_cache(maxsize=1)
def _codes() -> tuple[frozenset[str], frozenset[str]]:
    """ISO 15924 scripts and CLDR regions babel has names for, minus the 'unknown'/'special' codes."""
    root = Locale("en")
    # Zxxx unwritten, Zyyy common, Zzzz unknown, Zmth/Zsye/Zsym notations: none names a language's script.
    scripts = frozenset(s for s in root.scripts if not s.startswith("Z"))
    regions = frozenset(r for r in root.territories if r != "ZZ")  # ZZ: unknown region
    return scripts, regions


def normalize_tag(tag: str) -> str:
    """The tag in canonical case (``az-Cyrl``, ``pt-BR``); ValueError naming the tag when it is not a
    language[-Script][-REGION] tag whose parts CLDR knows."""
    if not isinstance(tag, str):
        raise ValueError(f"{tag!r} is not a language tag (expected a string such as 'az' or 'az-Cyrl')")
    return _normalize(tag)


@lru_cache(maxsize=512)
def _normalize(tag: str) -> str:
    match = _TAG.fullmatch(tag)
    if match is None:
        raise ValueError(f"{tag!r} is not a language tag of the form language[-Script][-REGION], "
                         "e.g. 'az', 'az-Cyrl', 'pt-BR'")
    language, script, region = match.group(1).lower(), match.group(2), match.group(3)
    if language in _NOT_A_LANGUAGE:
        raise ValueError(f"{tag!r}: {language!r} does not name a language (undetermined, multiple or none)")
    try:
        known = Locale.parse(language).language
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"{tag!r}: unknown language {language!r}") from None
    if known != language:
        # babel maps deprecated or special codes to others (iw -> he, tl -> fil, und -> en): ask for the real one.
        raise ValueError(f"{tag!r}: {language!r} is not a current language code (use {known!r})")
    scripts, regions = _codes()
    parts = [language]
    if script is not None:
        script = script.title()
        if script not in scripts:
            raise ValueError(f"{tag!r}: unknown script {script!r}")
        parts.append(script)
    if region is not None:
        region = region.upper()
        if region not in regions:
            raise ValueError(f"{tag!r}: unknown region {region!r}")
        parts.append(region)
    return "-".join(parts)


def display_name(tag: str, in_locale: str = "en") -> str:
    """The tag's name in `in_locale` (``az-Cyrl`` in ``en``: "Azerbaijani (Cyrillic)"), built the way babel's
    `Locale.get_display_name` does but from the tag's own parts (so ``kk-Latn`` stays Latin)."""
    language, *rest = normalize_tag(tag).split("-")
    try:
        where = Locale.parse(in_locale, sep="-")
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"{in_locale!r} is not a locale to show names in") from None
    name = where.languages.get(language) or language
    details = [where.scripts.get(p, p) if len(p) == 4 else where.territories.get(p, p) for p in rest]
    return f"{name} ({', '.join(details)})" if details else name
