"""BCP 47 tags through babel: normalised spelling, clear errors, CLDR names in the viewer's language.

Only the shared API (`normalize_tag`, `display_name`) is used, so these hold for whichever implementation of
schemas/languages.py the branches settle on."""

from __future__ import annotations

import pytest

from schemas.languages import display_name, normalize_tag


@pytest.mark.parametrize("given, expected", [
    ("az", "az"), ("AZ", "az"), ("az-cyrl", "az-Cyrl"), ("az_Cyrl", "az-Cyrl"), ("uz-latn", "uz-Latn"),
    ("zh-hans", "zh-Hans"), ("pt-br", "pt-BR"), ("es-419", "es-419"), ("sr-latn-rs", "sr-Latn-RS"),
    ("kk-Latn", "kk-Latn"), (" tr ", "tr"),
])
def test_languages__normalize_tag__canonical_spelling(given, expected):
    """Case and separators are fixed; the subtags the user gave are kept (kk-Latn stays Latin)."""
    assert normalize_tag(given) == expected


@pytest.mark.parametrize("bad, named", [
    ("xx", "xx"), ("tlh", "tlh"), ("az-Qqqq", "Qqqq"), ("en-XX", "XX"), ("english", "english"),
    ("en-US-x-private", "x-private"), ("", ""), ("a" * 40, "aaaa"), ("az--Cyrl", "az--Cyrl"),
])
def test_languages__normalize_tag__unknown_or_malformed_is_a_clear_error(bad, named):
    """Every refusal is a ValueError whose message names the tag (or the part of it) that is wrong."""
    with pytest.raises(ValueError) as caught:
        normalize_tag(bad)
    assert str(caught.value) and named in str(caught.value)


def test_languages__display_name__in_the_viewers_language():
    """Names come from CLDR in the viewer's language, with script and region spelled out."""
    assert display_name("az") == "Azerbaijani"
    assert display_name("az-Cyrl", "en") == "Azerbaijani (Cyrillic)"
    assert display_name("kk", "ru") == "казахский"
    assert display_name("zh-Hans", "en") == "Chinese (Simplified)"
    assert display_name("uz-Latn", "tr").startswith("Özbekçe")
    assert display_name("ru", "ru") == "русский"
    assert display_name("ar", "not-a-locale") == "Arabic"  # unknown viewer locale: English
