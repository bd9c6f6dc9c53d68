"""What a public page tells machines about itself: OpenGraph and Twitter card `<meta>` tags (link previews in
chat apps, Mastodon and search engines), `<link>` relations, and schema.org JSON-LD.

Everything here returns markup built from escaped values: story text (a headline, a summary, an alt text) can
hold `"`, `<` or `</script>`, and must never leave its attribute or its JSON string.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Any, Iterable

import orjson
from babel import Locale, UnknownLocaleError
from babel.core import get_global

__all__ = ["Publisher", "excerpt", "json_ld_script", "link_tags", "meta_tags", "og_locale", "organization"]

DESCRIPTION_CHARS = 200  # link previews cut around here; a whole body would only bloat the head

# In a <script> element only `</script` (and `<!--`) end or change the data state; JSON allows any character to
# be written as \uXXXX, so writing these as escapes keeps the document the same JSON and the page inert.
# U+2028/U+2029 are escaped too for JavaScript parsers older than ES2019 that read JSON as script.
_JSON_IN_HTML = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                               "\u2028": "\\u2028", "\u2029": "\\u2029"})
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Publisher:
    """The agency as its public pages name it (from the node's configuration)."""

    name: str
    actor_url: str      # its ActivityPub actor, also its profile page
    site_url: str       # its own web site when configured, else the profile page
    icon_url: str       # its logo ("" when none)
    address: str        # the handle to follow: @handle@host
    summary: str = ""   # plain text


def meta_tags(pairs: Iterable[tuple[str, str, Any]]) -> str:
    """`<meta>` elements from (attribute, key, value) triples: attribute is ``property`` (OpenGraph) or ``name``;
    triples with an empty value are left out. Keys and values are escaped."""
    return "".join(f'<meta {attr}="{html.escape(key)}" content="{html.escape(str(value))}">'
                   for attr, key, value in pairs if value not in (None, ""))


def link_tags(links: Iterable[dict[str, str]]) -> str:
    """`<link>` elements from attribute maps (``rel``, ``href``, ``hreflang``, ``type``, ``title``), escaped."""
    return "".join("<link " + " ".join(f'{k}="{html.escape(v)}"' for k, v in link.items() if v) + ">"
                   for link in links)


def json_ld_script(doc: dict[str, Any]) -> str:
    """A `<script type="application/ld+json">` holding `doc`: the same JSON a parser reads back, with no `<`, `>`
    or `&` left in it, so no text inside (``</script>`` in a headline) can close the element."""
    return ('<script type="application/ld+json">'
            + orjson.dumps(doc).decode("utf-8").translate(_JSON_IN_HTML) + "</script>")


@functools.lru_cache(maxsize=256)
def og_locale(tag: str) -> str:
    """OpenGraph's ``language_TERRITORY`` for a BCP 47 tag, with CLDR's likely territory when the tag has none
    (``az`` -> ``az_AZ``, ``zh-Hans`` -> ``zh_CN``, ``en`` -> ``en_US``); the bare language when babel cannot."""
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        language = tag.split("-")[0].lower()
        return language if re.fullmatch(r"[a-z]{2,3}", language) else ""
    territory = locale.territory
    if not territory:
        likely = get_global("likely_subtags")
        full = likely.get(str(locale)) or likely.get(locale.language) or ""
        parts = full.split("_")
        territory = next((p for p in parts[1:] if len(p) == 2 and p.isupper() or p.isdigit()), "")
    return f"{locale.language}_{territory}" if territory else locale.language


def excerpt(summary: str, body_html: str, limit: int = DESCRIPTION_CHARS) -> str:
    """A plain-text description: the summary, else the start of the body without its markup, cut at a word
    before `limit` characters (with an ellipsis when cut)."""
    text = summary.strip() or " ".join(html.unescape(_TAG.sub(" ", body_html)).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:") + "…"


def image_object(url: str, width: Any = None, height: Any = None, **extra: Any) -> dict[str, Any]:
    """A schema.org ImageObject (empty values left out)."""
    doc = {"@type": "ImageObject", "url": url, "contentUrl": url, "width": width, "height": height, **extra}
    return {k: v for k, v in doc.items() if v not in (None, "", [], {})}


def organization(publisher: Publisher, type_: str = "Organization") -> dict[str, Any]:
    """The agency as a schema.org Organization (or `type_`, e.g. NewsMediaOrganization): name, url, logo, and
    its fediverse actor in `sameAs`."""
    doc: dict[str, Any] = {"@type": type_, "@id": publisher.actor_url, "name": publisher.name,
                           "url": publisher.site_url}
    if publisher.icon_url:
        doc["logo"] = image_object(publisher.icon_url)
    same = [u for u in (publisher.actor_url,) if u != publisher.site_url]
    if same:
        doc["sameAs"] = same
    return doc
