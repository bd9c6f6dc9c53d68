"""The node's own reader-facing words, in the languages it was built for."""

from __future__ import annotations

import pytest

from schemas.labels import LABELS, label, label_language

CATALOGUED = ["en", "az", "tr", "ru", "kk", "uz", "zh-Hans", "zh-Hant"]


def test_labels__every_label_in_every_catalogued_language():
    """No label is missing a language (a gap would silently show English on that language's pages)."""
    for key, texts in LABELS.items():
        assert sorted(texts) == sorted(CATALOGUED), key
        assert all(t.strip() == t and t for t in texts.values()), key
        if "{}" in texts["en"]:
            assert all(t.count("{}") == 1 for t in texts.values()), key
        for n in range(3):  # numbered placeholders ({0}, {1}...): each language places every one, once
            if f"{{{n}}}" in texts["en"]:
                assert all(t.count(f"{{{n}}}") == 1 for t in texts.values()), (key, n)


@pytest.mark.parametrize("tag, served", [
    ("az", "az"), ("az-AZ", "az"), ("az-Cyrl", "en"), ("tr-CY", "tr"), ("kk", "kk"), ("uz", "uz"),
    ("uz-Cyrl", "en"), ("ru-KZ", "ru"), ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-TW", "zh-Hant"),
    ("zh-HK", "zh-Hant"), ("zh-Hant", "zh-Hant"), ("en-GB", "en"), ("de", "en"), ("ar", "en"), ("", "en"),
    ("not a tag", "en"),
])
def test_labels__a_script_never_gets_another_script_s_words(tag, served):
    """Regions fall back to their language; a different script (az-Cyrl) or an uncatalogued language gets
    English rather than words in a script its readers may not read."""
    assert label_language(tag) == served
    text, language = label("correction", tag)
    assert language == served and text == LABELS["correction"][served]


def test_labels__channel_summaries_name_their_own_language():
    """A channel's summary is about its own language, so each entry must name that language."""
    from schemas.languages import display_name

    texts = LABELS["channel.summary"]
    for language in ("az", "ru", "kk", "uz"):
        own = display_name(language, language).lower()
        assert own[:4] in texts[language].lower(), (language, own, texts[language])
    assert "Türkçe" in texts["tr"] and "English" in texts["en"] and "中文" in texts["zh-Hans"]
