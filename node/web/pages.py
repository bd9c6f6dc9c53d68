"""What every public page shares (the HTML shell, dates and labels in the page's language, media figures), a
language channel's page and actor document. The story page is `node.web.story_page`, the agency's profile page
`node.web.profile`."""

from __future__ import annotations

import functools
import html
from datetime import timezone
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

from federation.vocab import actor_document, iso
from node.identity.proofkeys import assertion_methods
from schemas.labels import LABELS, english_stands_in, label
from schemas.languages import display_name


_STYLE = ("body{max-width:42rem;margin:0 auto;padding:1rem;font:1.05rem/1.6 system-ui,sans-serif;color:#222}"
          "h1{line-height:1.25}nav ul{padding-inline-start:1.2rem}img,video{max-width:100%;height:auto}"
          "figure{margin:1rem 0}figcaption{font-size:.9rem;color:#555;overflow-wrap:anywhere}"
          ".media{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:.75rem}"
          ".media figure{margin:0}audio{width:100%}.byline,.verification,time{color:#555}"
          "code{overflow-wrap:anywhere}.corrections{border-top:1px solid #ddd;margin-top:1.5rem}"
          ".stories{list-style:none;padding:0}.stories li{display:flow-root;margin:.75rem 0}"
          ".stories img{float:inline-start;width:6rem;margin-inline-end:.75rem}.stories time{display:block}"
          ".logo{float:inline-end;border-radius:.5rem}.corrections p{margin:.25rem 0 .75rem}")


@functools.lru_cache(maxsize=256)
def _locale(tag: str) -> Locale | None:
    """The CLDR locale of a page language, or None. Cached: a Locale loads its CLDR data once and keeps it, so a
    page with twenty dates formats them in microseconds instead of re-reading the data for each (bench/pages.py)."""
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def text_direction(tag: str) -> str:
    """`rtl` for right-to-left scripts (ar, fa, he, ur...), from CLDR; `ltr` otherwise."""
    locale = _locale(tag)
    return "rtl" if locale is not None and locale.text_direction == "rtl" else "ltr"


def page_shell(title: str, body: str, lang: str = "", *, extra_head: str = "") -> str:
    """A complete HTML document: charset first, a mobile viewport, `lang` and `dir`, a readable column.
    `body` is trusted markup (callers escape text and sanitize remote HTML)."""
    lang_attrs = f' lang="{html.escape(lang)}" dir="{text_direction(lang)}"' if lang else ""
    return (f'<!doctype html><html{lang_attrs}><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title>{extra_head}<style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")


@functools.lru_cache(maxsize=2048)  # babel formats a date in about 0.2 ms; pages show the same dates again
def reader_date(moment: Any, lang: str) -> str:
    """A date a reader reads (CLDR long format, UTC, in the page's language); ISO 8601 when babel cannot."""
    locale = _locale(lang)
    if locale is None:
        return iso(moment)
    try:
        return format_datetime(moment, "long", tzinfo=timezone.utc, locale=locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return iso(moment)


def actor_page(name: str, summary_html: str, address: str, language: str = "", *, extra_head: str = "") -> str:
    """An agency (or channel) actor for a browser: its name, summary (already escaped/sanitized HTML) and
    fediverse handle; `extra_head` is trusted markup for the head (the agency's feed links)."""
    return page_shell(name, f"<main><h1>{html.escape(name)}</h1><p>{summary_html}</p>"
                            f"<p>{html.escape(address)}</p></main>", language, extra_head=extra_head)


def page_label(key: str, page_lang: str, *placeholders: str) -> str:
    """A label for a page in `page_lang`, escaped (placeholders are markup), marked `lang="en"` when English
    stands in for a language the catalogue does not have."""
    text, text_lang = label(key, page_lang)
    text = html.escape(text).format(*placeholders)
    if english_stands_in(text_lang, page_lang):
        return f'<span lang="en" dir="ltr">{text}</span>'
    return text


def method_label(method: str, page_lang: str) -> str:
    """How a translation was made (machine, human, machine+human), as a label."""
    key = f"method.{method}"
    return page_label(key, page_lang) if key in LABELS else html.escape(method)


def channel_actor_document(node: Any, username: str, language: str, key: Any) -> dict[str, Any]:
    """A language channel: its own actor (keys, inbox, outbox, followers), named in its own language."""
    agency = node.config.agency
    own_name = display_name(language, language)
    doc = actor_document(
        node.urls, username, type_="Organization", name=f"{agency.name} ({own_name})",
        summary_html=html.escape(_channel_summary(agency.name, language)),
        public_key_pem=key.public_key_pem, icon_url=agency.icon_url, url=agency.url,
        manually_approves_followers=False, discoverable=agency.discoverable, published=key.created_at,
        assertion_method=assertion_methods(node.urls, username, node.proof_keys.get(username, [])))
    doc["attributedTo"] = node.urls.actor(agency.handle)
    return doc


def _channel_summary(agency_name: str, language: str) -> str:
    """What a language channel says of itself, in its language when catalogued (schemas/labels.py)."""
    text, text_lang = label("channel.summary", language)
    if not english_stands_in(text_lang, language):
        return f"{agency_name}: {text}"
    return f"{agency_name}: stories in {display_name(language, 'en')} ({display_name(language, language)})."


def localized(texts: Any, lang: str) -> str:
    """A text of a {language: text} map in the page's language, else the first there is."""
    texts = texts if isinstance(texts, dict) else {}
    return str(texts.get(lang) or next(iter(texts.values()), ""))


def _figure(media: dict[str, Any], lang: str, *, size: str) -> str:
    """One media item of a story: a picture (a derivative of ``size`` when there is one), a player or a download
    link, with its caption and credit. Every value is escaped; the URLs are the node's own /media/ files."""
    url = html.escape(str(media.get("url", "")))
    alt = html.escape(localized(media.get("alt"), lang))
    renditions = media.get("renditions") or {}
    kind = media.get("kind")
    if kind == "image":
        src = html.escape(str((renditions.get(f"{size}.jpg") or {}).get("url") or media.get("url", "")))
        dims = "".join(f' {k}="{int(media[k])}"' for k in ("width", "height") if media.get(k))
        shown = f'<a href="{url}"><img src="{src}" alt="{alt}"{dims} loading="lazy"></a>'
    elif kind in ("video", "audio"):
        poster = (renditions.get("poster.jpg") or {}).get("url")
        extra = f' poster="{html.escape(str(poster))}"' if poster else ""
        shown = f'<{kind} controls preload="metadata" src="{url}"{extra} aria-label="{alt}"></{kind}>'
    else:
        name = alt or html.escape(str(media.get("media_type", "")))
        shown = f'<a href="{url}" download>{name}</a>'
    caption = " ".join(html.escape(t) for t in (localized(media.get("caption"), lang), str(media.get("credit") or "")) if t)
    return f"<figure>{shown}" + (f"<figcaption>{caption}</figcaption>" if caption else "") + "</figure>"


def media_html(media: list[dict[str, Any]], lang: str) -> tuple[str, str]:
    """The lead image above the body, every other item (all of them, not only the four that travel as
    attachments) below it."""
    lead = next((m for m in media if m.get("lead")), None)
    others = [m for m in media if m is not lead]
    return (_figure(lead, lang, size="web") if lead else "",
            f'<section class="media">{"".join(_figure(m, lang, size="thumb") for m in others)}</section>'
            if others else "")
