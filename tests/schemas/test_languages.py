"""BCP 47 tags: normalised case, validated subtags, display names in the viewer's language."""

from __future__ import annotations

import pytest

from schemas.languages import display_name, normalize_tag


@pytest.mark.parametrize(("given", "expected"), [
    ("az", "az"), ("AZ-cyrl", "az-Cyrl"), ("uz_latn", "uz-Latn"), ("zh-hans", "zh-Hans"), ("pt_br", "pt-BR"),
    ("sr-latn-rs", "sr-Latn-RS"), ("kk-Latn", "kk-Latn"),
])
def test_normalize_tag__canonical_case(given, expected):
    """Case is normalised per subtag; the script the user gave is kept (kk-Latn is not turned Cyrillic)."""
    assert normalize_tag(given) == expected


@pytest.mark.parametrize("bad", ["", "  ", "qq", "a", "az-Xxxx", "az-QQ", "en US", "az-x-priv", 7])
def test_normalize_tag__unknown_or_malformed_is_a_value_error(bad):
    """Unknown languages, scripts, regions and malformed tags raise ValueError naming the problem."""
    with pytest.raises(ValueError):
        normalize_tag(bad)  # type: ignore[arg-type]


def test_display_name__in_the_viewers_language():
    """Names come from CLDR in the viewer's language, scripts included; unknown viewers get English."""
    assert display_name("az-Cyrl", "ru") == "азербайджанский (кириллица)"
    assert display_name("az", "en") == "Azerbaijani"
    assert display_name("kk-Latn", "en") == "Kazakh (Latin)"
    assert display_name("tr", "qq") == "Turkish"
