"""BCP 47 tags: normalised case, CLDR-known parts, no babel rewriting, display names."""

from __future__ import annotations

import pytest

from schemas.languages import display_name, is_valid_tag, normalize_tag, split_tag


@pytest.mark.parametrize("tag, canonical", [
    ("az", "az"),
    ("az-Cyrl", "az-Cyrl"),
    ("AZ-cyrl", "az-Cyrl"),
    ("uz-latn", "uz-Latn"),
    ("zh-HANS", "zh-Hans"),
    ("en", "en"),
    ("pt-br", "pt-BR"),
    ("es-419", "es-419"),
    ("zh-hant-tw", "zh-Hant-TW"),
    ("ckb", "ckb"),
    ("fil", "fil"),
    ("pt_BR", "pt-BR"),
    (" tr ", "tr"),
])
def test_normalize_tag__canonical_case(tag, canonical):
    """Language lower case, script title case, region upper case (RFC 5646 2.1.1); already canonical is kept;
    babel's `_` separator and surrounding spaces are tolerated."""
    assert normalize_tag(tag) == canonical
    assert normalize_tag(canonical) == canonical


@pytest.mark.parametrize("tag", ["kk-Latn", "en-Cyrl", "az-Arab", "uz-Cyrl"])
def test_normalize_tag__keeps_the_given_script(tag):
    """Babel would rewrite these (kk-Latn becomes Cyrillic Kazakh, en-Cyrl loses its script): we keep the tag."""
    assert normalize_tag(tag) == tag


@pytest.mark.parametrize("tag, reason", [
    ("xx", "unknown language 'xx'"),
    ("qq-ZZ", "unknown language 'qq'"),
    ("en-", "not a BCP 47 language tag"),
    ("e n", "not a BCP 47 language tag"),
    ("az--Cyrl", "not a BCP 47 language tag"),
    ("az-Cyrl-AZ-x-news", "not a BCP 47 language tag"),
    ("english", "not a BCP 47 language tag"),
    ("a" * 36, "too long"),
    ("az-Qqqq", "unknown script 'Qqqq'"),
    ("az-Zzzz", "unknown script 'Zzzz'"),
    ("az-QQ", "unknown region 'QQ'"),
    ("az-ZZ", "unknown region 'ZZ'"),
    ("und", "does not name a language"),
    ("mul", "does not name a language"),
    ("iw", "use 'he'"),
    ("tl", "use 'fil'"),
])
def test_normalize_tag__rejects(tag, reason):
    """Malformed, unknown or non-current tags raise ValueError naming the tag and saying why."""
    with pytest.raises(ValueError) as info:
        normalize_tag(tag)
    assert repr(tag) in str(info.value) and reason in str(info.value)


@pytest.mark.parametrize("value", ["", "   ", None, 3, ["az"]])
def test_normalize_tag__rejects_empty_and_non_strings(value):
    """Nothing, blanks and non-strings are not tags."""
    with pytest.raises(ValueError, match="a language tag is required"):
        normalize_tag(value)  # type: ignore[arg-type]
    assert not is_valid_tag(value)  # type: ignore[arg-type]


def test_split_tag__parts_of_the_normalised_tag():
    """split_tag gives (language, script, region, variants) after normalising."""
    assert split_tag("AZ-cyrl-az") == ("az", "Cyrl", "AZ", ())
    assert split_tag("es-419") == ("es", None, "419", ())
    assert split_tag("kk") == ("kk", None, None, ())
    assert is_valid_tag("zh-Hans") and not is_valid_tag("xx")


@pytest.mark.parametrize("tag, in_locale, name", [
    ("az", "en", "Azerbaijani"),
    ("AZ-cyrl", "en", "Azerbaijani (Cyrillic)"),
    ("az-Cyrl", "az", "azərbaycan (kiril)"),
    ("uz-Latn", "en", "Uzbek (Latin)"),
    ("zh-Hans", "en", "Chinese (Simplified)"),
    ("kk-Latn", "en", "Kazakh (Latin)"),
    ("pt-BR", "en", "Portuguese (Brazil)"),
    ("tr", "tr", "Türkçe"),
])
def test_display_name__in_a_locale(tag, in_locale, name):
    """Names come from CLDR in the asked locale, from the tag's own parts."""
    assert display_name(tag, in_locale) == name


def test_display_name__bad_input():
    """A bad tag is a ValueError; a viewer locale babel does not know gets English names."""
    with pytest.raises(ValueError, match="unknown language"):
        display_name("xx", "en")
    assert display_name("az", "xx") == "Azerbaijani"
    # A Cyrillic-Azerbaijani viewer gets Cyrillic names, also with a region babel has no data for.
    assert display_name("az-Cyrl", "az-Cyrl-AZ") == display_name("az-Cyrl", "az-Cyrl") == "азәрбајҹан (Кирил)"
