"""The desk's catalogues are complete: every message of the templates and code is translated, not fuzzy, with
the same placeholders, in every desk language (what CI checks; `python -m node.desk.catalogues check`)."""

from __future__ import annotations

from node.desk import catalogues
from node.desk.i18n import DESK_LOCALES, desk_locale, negotiate


def test_catalogues__every_language_complete():
    """No missing, untranslated, fuzzy or malformed entry in any catalogue."""
    problems = catalogues.check()
    assert set(problems) == set(DESK_LOCALES) - {"en"}
    assert all(not found for found in problems.values()), {k: v[:10] for k, v in problems.items() if v}


def test_catalogues__compiled_and_used():
    """The compiled catalogues translate, with placeholders filled, and CLDR formats numbers per locale."""
    assert desk_locale("ru").gettext("Log out") == "Выйти"
    assert desk_locale("zh-Hans").gettext("Log out") == "退出"
    assert desk_locale("tr").gettext("This needs the %(needed)s role; you are %(role)s. Nothing was changed.",
                                     needed="editor", role="viewer").startswith("Bunun için editor rolü")
    assert desk_locale("ru").number(12345.5) == "12\xa0345,5"
    assert desk_locale("en").number(12345.5) == "12,345.5"


def test_catalogues__negotiation():
    """Accept-Language picks a desk locale: regions dropped, q-values honoured, Chinese variants to zh-Hans,
    English when nothing fits."""
    assert negotiate("ru-RU,ru;q=0.9,en;q=0.5") == "ru"
    assert negotiate("fr-FR, kk;q=0.8, en;q=0.1") == "kk"
    assert negotiate("zh-TW") == "zh-Hans"
    assert negotiate("uz-Latn-UZ") == "uz"
    assert negotiate("de, fr") == "en"
    assert negotiate("en;q=0.1, az;q=0.9") == "az"
