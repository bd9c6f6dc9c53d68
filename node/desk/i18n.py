"""The desk in the editor's language: gettext catalogues (babel), the locale a request gets, and CLDR formatting
of dates, times, numbers and relative times for that locale.

Catalogues live in `node/desk/locale/<locale>/LC_MESSAGES/desk.po`, extracted from the templates and the desk's
Python code with `pybabel extract -F babel.cfg` (see README, "Translating the desk"). They are compiled in memory
when the desk starts (no build step, so an editable install works the same as a wheel);
`tests/node/desk/test_catalogues.py` fails on a missing, fuzzy or malformed entry.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

__all__ = ["DESK_LOCALES", "LOCALE_DIR", "DeskLocale", "catalogue", "desk_locale", "negotiate"]

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "desk"
# The desk's languages, as BCP 47 tags; babel's identifiers differ only for Chinese (zh_Hans).
DESK_LOCALES = ("en", "az", "tr", "ru", "kk", "uz", "zh-Hans")


def _babel_id(tag: str) -> str:
    return tag.replace("-", "_")


@lru_cache(maxsize=None)
def catalogue(tag: str) -> NullTranslations:
    """The compiled translations of a desk locale (English: the msgids themselves)."""
    path = LOCALE_DIR / _babel_id(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if tag == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        cat = read_po(fh, locale=_babel_id(tag), domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)  # fuzzy entries never reach an editor (the catalogue test refuses them)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def negotiate(accept_language: str) -> str:
    """The desk locale that best fits an Accept-Language header; English when none does. Regions are
    dropped before matching (babel loses the script of `az-Cyrl-AZ` otherwise; DEPENDENCIES.md)."""
    wanted: list[tuple[float, str]] = []
    for n, part in enumerate(accept_language.split(",")[:20]):
        bits = part.strip().split(";")
        tag = bits[0].strip()
        q = 1.0
        for param in bits[1:]:
            if param.strip().startswith("q="):
                try:
                    q = float(param.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            wanted.append((-q + n * 1e-6, tag))
    for _, tag in sorted(wanted):
        found = _match(tag)
        if found:
            return found
    return "en"


def _match(tag: str) -> str | None:
    low = tag.lower()
    for known in DESK_LOCALES:
        if low == known.lower():
            return known
    lang = low.split("-")[0]
    if lang == "zh":  # Traditional-script requests still read Simplified better than English
        return "zh-Hans"
    return next((k for k in DESK_LOCALES if k.lower() == lang), None)


class DeskLocale:
    """One request's language: gettext, the `lang`/`dir` of the page, and CLDR formatting in that locale (UTC)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag if tag in DESK_LOCALES else "en"
        try:
            self.babel = Locale.parse(_babel_id(self.tag))
        except (UnknownLocaleError, ValueError):
            self.babel = Locale.parse("en")
        self.translations = catalogue(self.tag)
        self.dir = self.babel.text_direction or "ltr"

    def gettext(self, message: str, **variables: Any) -> str:
        text = self.translations.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def datetime(self, moment: datetime | None, fmt: str = "medium") -> str:
        if moment is None:
            return ""
        return format_datetime(_aware(moment), fmt, tzinfo=timezone.utc, locale=self.babel)

    def date(self, moment: date | datetime | None, fmt: str = "medium") -> str:
        if moment is None:
            return ""
        return format_date(moment, fmt, locale=self.babel)

    def time(self, moment: datetime | None, fmt: str = "short") -> str:
        if moment is None:
            return ""
        return format_time(_aware(moment), fmt, tzinfo=timezone.utc, locale=self.babel)

    def number(self, value: float | int | None) -> str:
        return "" if value is None else format_decimal(value, locale=self.babel)

    def ago(self, moment: datetime | None, now: datetime | None = None) -> str:
        """A relative time ("5 minutes ago", "5 dakika önce", "5 минут назад")."""
        if moment is None:
            return ""
        delta: timedelta = _aware(moment) - (now or datetime.now(timezone.utc))
        return format_timedelta(delta, add_direction=True, locale=self.babel)

    def language_name(self, tag: str) -> str:
        """A language's name in this locale (CLDR), the tag itself when CLDR has none."""
        return _language_name(tag, self.tag)


@lru_cache(maxsize=4096)
def _language_name(tag: str, locale_tag: str) -> str:
    # Parsing a locale costs about 0.1 ms: a wire page names the same few languages on every row.
    try:
        return Locale.parse(tag, sep="-").get_display_name(desk_locale(locale_tag).babel) or tag
    except (UnknownLocaleError, ValueError, TypeError):
        return tag


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@lru_cache(maxsize=None)
def desk_locale(tag: str) -> DeskLocale:
    """The shared DeskLocale of a tag (they hold no per-request state)."""
    return DeskLocale(tag)


def native_names(tags: Iterable[str] = DESK_LOCALES) -> list[tuple[str, str]]:
    """Each desk language by its own name (Azərbaycan, Türkçe, Русский...), for the language switcher."""
    return [(t, desk_locale(t).language_name(t).capitalize() if t != "zh-Hans" else "简体中文") for t in tags]
