"""BCP 47 language tags as an agency writes them: checked against CLDR (through babel) and normalised.

`normalize_tag("AZ-cyrl")` gives ``"az-Cyrl"``; `display_name("az-Cyrl", "en")` gives ``"Azerbaijani
(Cyrillic)"``. Only ``language[-Script][-REGION]`` is accepted (``az``, ``az-Cyrl``, ``uz-Latn``, ``zh-Hans``,
``pt-BR``, ``es-419``): that is what newsrooms label stories with, and it is what ActivityStreams language maps
and babel both understand. Surrounding spaces are dropped and ``_`` is read as ``-`` (``pt_BR``, as POSIX and
babel write it).

The tag the editor gave is kept, only its case is normalised (RFC 5646 section 2.1.1: language lower case,
script title case, region upper case). It is never round-tripped through babel, because babel rewrites tags:
``kk-Latn`` becomes Cyrillic Kazakh, ``en-Cyrl`` loses its script, ``und`` becomes ``en_US`` (DEPENDENCIES.md).
Babel only answers "is this a language, script, region CLDR knows?".
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

__all__ = ["display_name", "is_valid_tag", "normalize_tag", "split_tag"]

# language (2-3 letters) [-script (4 letters)] [-region (2 letters or 3 digits)]
_TAG = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?")
MAX_TAG_LENGTH = 35  # RFC 5646 4.4.1: implementations should accept tags up to 35 characters
# ISO 639 special codes: babel parses `und` as English, which would silently mislabel stories.
_NOT_A_LANGUAGE = frozenset({"und", "mul", "mis", "zxx"})


@lru_cache(maxsize=1)
def _english() -> Locale:
    return Locale("en")


@lru_cache(maxsize=1)
def _codes() -> tuple[frozenset[str], frozenset[str]]:
    """ISO 15924 scripts and CLDR regions babel has names for, minus the 'unknown'/'special' codes."""
    root = _english()
    # Zxxx unwritten, Zyyy common, Zzzz unknown, Zmth/Zsye/Zsym notations: none names a language's script.
    scripts = frozenset(s for s in root.scripts if not s.startswith("Z"))
    regions = frozenset(r for r in root.territories if r != "ZZ")  # ZZ: unknown region
    return scripts, regions


def normalize_tag(tag: str) -> str:
    """The tag in canonical case (``az-Cyrl``, ``pt-BR``); ValueError naming the tag when it is not a
    language[-Script][-REGION] tag whose parts CLDR knows."""
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("a language tag is required (BCP 47, e.g. az, az-Cyrl, zh-Hans)")
    return _normalize(tag.strip())


@lru_cache(maxsize=512)
def _normalize(tag: str) -> str:
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"{tag[:40]!r} is too long for a language tag (at most {MAX_TAG_LENGTH} characters)")
    match = _TAG.fullmatch(tag.replace("_", "-"))
    if match is None:
        raise ValueError(f"{tag!r} is not a BCP 47 language tag (expected language[-Script][-REGION], "
                         "e.g. az, az-Cyrl, uz-Latn, zh-Hans, pt-BR)")
    language, script, region = match.group(1).lower(), match.group(2), match.group(3)
    if language in _NOT_A_LANGUAGE:
        raise ValueError(f"{tag!r}: {language!r} does not name a language (undetermined, multiple or none)")
    try:
        known = Locale.parse(language).language
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"{tag!r}: unknown language {language!r} (not in CLDR)") from None
    if known != language:
        # babel maps deprecated codes to current ones (iw -> he, tl -> fil): ask for the current one.
        raise ValueError(f"{tag!r}: {language!r} is not a current language code (use {known!r})")
    scripts, regions = _codes()
    parts = [language]
    if script is not None:
        script = script.title()
        if script not in scripts:
            raise ValueError(f"{tag!r}: unknown script {script!r} (ISO 15924, e.g. Latn, Cyrl, Arab, Hans)")
        parts.append(script)
    if region is not None:
        region = region.upper()
        if region not in regions:
            raise ValueError(f"{tag!r}: unknown region {region!r} (ISO 3166 or UN M.49, e.g. AZ, TR, 419)")
        parts.append(region)
    return "-".join(parts)


def is_valid_tag(tag: str) -> bool:
    """Whether `normalize_tag` accepts the tag."""
    try:
        normalize_tag(tag)
    except ValueError:
        return False
    return True


def split_tag(tag: str) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """(language, script, region, variants) of a tag, normalised first (variants are always empty here: such
    tags are refused)."""
    language, *rest = normalize_tag(tag).split("-")
    script = next((p for p in rest if len(p) == 4), None)
    region = next((p for p in rest if len(p) != 4), None)
    return language, script, region, ()


def _viewer(in_locale: str) -> Locale:
    # Babel loses the script of some tags (DEPENDENCIES.md): try the whole tag, then the bare language, then English.
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


@lru_cache(maxsize=1024)  # pages name every language of a story on every view (about 0.1 ms each uncached)
def display_name(tag: str, in_locale: str = "en") -> str:
    """The tag's name in `in_locale` (``az-Cyrl`` in ``en``: "Azerbaijani (Cyrillic)"), built the way babel's
    `Locale.get_display_name` does but from the tag's own parts (so ``kk-Latn`` stays Latin). A viewer locale
    babel does not know gets English; a bad `tag` is a ValueError."""
    language, script, region, _ = split_tag(tag)
    viewer = _viewer(in_locale or "en")
    name = viewer.languages.get(language) or _english().languages.get(language) or language
    details = [viewer.scripts.get(script) or script] if script else []
    details += [viewer.territories.get(region) or region] if region else []
    return f"{name} ({', '.join(details)})" if details else name
