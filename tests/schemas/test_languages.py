"""BCP 47 tags through babel: normalised spelling, clear errors, CLDR names in the viewer's language."""

from __future__ import annotations

import pytest

from schemas.languages import display_name, is_valid_tag, normalize_tag


@pytest.mark.parametrize("given, expected", [
    ("az", "az"), ("AZ", "az"), ("az-cyrl", "az-Cyrl"), ("az_Cyrl", "az-Cyrl"), ("uz-latn", "uz-Latn"),
    ("zh-hans", "zh-Hans"), ("pt-br", "pt-BR"), ("es-419", "es-419"), ("sr-latn-rs", "sr-Latn-RS"),
    ("kk-Latn", "kk-Latn"), (" tr ", "tr"),
])
def test_languages__normalize_tag__canonical_spelling(given, expected):
    """Case and separators are fixed; the subtags the user gave are kept (kk-Latn stays Latin)."""
    assert normalize_tag(given) == expected


@pytest.mark.parametrize("bad, words", [
    ("xx", "unknown language 'xx'"), ("tlh", "unknown language"), ("az-Zzzz", "unknown script 'Zzzz'"),
    ("az-Qaaa", "unknown script"), ("en-XX", "unknown region 'XX'"), ("english", "not a BCP 47"),
    ("en-US-x-private", "not a BCP 47"), ("", "required"), ("a" * 40, "too long"), ("az--Cyrl", "not a BCP 47"),
])
def test_languages__normalize_tag__unknown_or_malformed_is_a_clear_error(bad, words):
    """Every refusal says what is wrong, in words an editor understands."""
    with pytest.raises(ValueError, match=words):
        normalize_tag(bad)
    assert not is_valid_tag(bad)


def test_languages__display_name__in_the_viewers_language():
    """Names come from CLDR in the viewer's language, with script and region spelled out."""
    assert display_name("az") == "Azerbaijani"
    assert display_name("az-Cyrl", "en") == "Azerbaijani (Cyrillic)"
    assert display_name("kk", "ru") == "казахский"
    assert display_name("zh-Hans", "en") == "Chinese (Simplified)"
    assert display_name("uz-Latn", "tr").startswith("Özbekçe")
    assert display_name("ru", "ru") == "русский"
    assert display_name("ar", "not-a-locale") == "Arabic"  # unknown viewer locale: English
