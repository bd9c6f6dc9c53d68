"""Protected terms and the glossary around an engine: masked before, restored after, losses detected."""

from __future__ import annotations

import pytest

from node.translation.glossary import Glossary, PlaceholderLost, mask, unmask

G = Glossary(protected=("SOCAR", "Heydar Aliyev Center"),
             fixed={"ru": {"Milli Majlis": "Милли Меджлис"}, "ru-Cyrl": {}, "tr": {"Milli Majlis": "Millî Meclis"}})


def test_mask__protected_and_glossary_terms_become_placeholders():
    """Every occurrence of a term becomes one placeholder; unrelated words stay."""
    m = mask("SOCAR and the Milli Majlis met at the Heydar Aliyev Center. SOCAR agreed.", G, "ru", html=False)
    assert "SOCAR" not in m.text and "Milli Majlis" not in m.text and "Heydar" not in m.text
    assert m.text.count("[#0]") == 2
    assert unmask(m.text, m) == "SOCAR and the Милли Меджлис met at the Heydar Aliyev Center. SOCAR agreed."


def test_mask__whole_words_only():
    """A term inside a longer word is not touched."""
    m = mask("SOCARs and SOCAR", G, "ru", html=False)
    assert m.text.startswith("SOCARs and [#")


def test_mask__target_base_language_entries_apply():
    """A regional or script target uses its base language's glossary too."""
    m = mask("the Milli Majlis", G, "ru-Cyrl", html=False)
    assert unmask(m.text, m) == "the Милли Меджлис"
    assert unmask(mask("the Milli Majlis", G, "tr", html=False).text,
                  mask("the Milli Majlis", G, "tr", html=False)) == "the Millî Meclis"


def test_mask__html_text_only_and_escaped():
    """In HTML, terms inside tags and attributes stay; replacements are escaped."""
    g = Glossary(protected=("AT&T", "Baku"))
    src = '<p><a href="https://x.example/Baku">Baku</a> and AT&amp;T</p>'
    m = mask(src, g, "ru", html=True)
    assert 'href="https://x.example/Baku"' in m.text and ">Baku<" not in m.text and "AT&amp;T" not in m.text
    assert unmask(m.text, m) == src


def test_unmask__lost_or_duplicated_placeholder_raises():
    """An engine that drops or multiplies a placeholder fails the translation."""
    m = mask("SOCAR said", G, "ru", html=False)
    with pytest.raises(PlaceholderLost):
        unmask("сказал", m)
    with pytest.raises(PlaceholderLost):
        unmask("[#0] [#0] сказал", m)


def test_unmask__tolerates_spaces_inside_the_brackets():
    """Engines that space out punctuation ("[# 0 ]") still give the term back."""
    m = mask("SOCAR said", G, "ru", html=False)
    assert unmask("[# 0 ] сказал", m) == "SOCAR сказал"


def test_mask__never_reuses_a_number_present_in_the_source():
    """A source that already contains "[#0]" keeps it; our placeholders use other numbers."""
    m = mask("ref [#0] by SOCAR", G, "ru", html=False)
    assert m.text == "ref [#0] by [#1]"
    assert unmask("ссылка [#0] от [#1]", m) == "ссылка [#0] от SOCAR"


def test_glossary__empty_is_falsy_and_masks_nothing():
    """No terms: the text goes through unchanged."""
    assert not Glossary()
    assert mask("SOCAR", Glossary(), "ru", html=False).text == "SOCAR"
