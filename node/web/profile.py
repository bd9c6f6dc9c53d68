"""The agency's profile page: what a browser gets at its actor URL (``/actors/<handle>``), where ActivityPub
clients get the actor document.

A person sees the agency's name, logo and summary, the handle to follow from a fediverse app (and those of its
language channels and its fact-check channel, when it runs them), its recent stories
(newest first, each linked, dated and with its lead thumbnail) and its feeds; a link preview and a search engine
get OpenGraph (``og:type=profile``) and a schema.org NewsMediaOrganization.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from federation.vocab import iso
from node.stories.feeds import FeedEntry
from node.web.metadata import Publisher, excerpt, json_ld_script, link_tags, meta_tags, og_locale, organization
from node.web.pages import localized, page_label, page_shell, reader_date, text_direction
from schemas.languages import display_name

__all__ = ["FeedLink", "RECENT_STORIES", "profile_page"]

RECENT_STORIES = 20
ICON_SIZE = 96  # CSS pixels; the logo is drawn into this square whatever its own size


@dataclass(frozen=True)
class FeedLink:
    """One of the agency's feeds: its language ("" for every story in its original language) and format."""

    language: str
    fmt: str          # rss | atom
    media_type: str
    url: str


def _story_item(entry: FeedEntry, lang: str) -> str:
    """One recent story: its lead thumbnail, its headline linked, its date in the page's language. A story in
    another language than the page carries its own `lang` (screen readers switch voice)."""
    other = entry.language != lang
    lang_attrs = f' lang="{html.escape(entry.language)}" dir="{text_direction(entry.language)}"' if other else ""
    thumb = ""
    lead = entry.lead
    if lead and lead.get("kind") == "image":
        small = (lead.get("renditions") or {}).get("thumb.jpg") or {}
        src = small.get("url") or lead.get("url", "")
        dims = "".join(f' {k}="{int(small[k])}"' for k in ("width", "height") if small.get(k))
        thumb = (f'<img src="{html.escape(str(src))}" alt="{html.escape(localized(lead.get("alt"), entry.language))}"'
                 f'{dims}{lang_attrs} loading="lazy">')
    return (f'<li>{thumb}<a href="{html.escape(entry.link)}"{lang_attrs}>{html.escape(entry.headline)}</a> '
            f'<time datetime="{iso(entry.published)}">{html.escape(reader_date(entry.published, lang))}</time></li>')


def _feed_list(feeds: list[FeedLink], lang: str) -> str:
    by_language: dict[str, list[FeedLink]] = {}
    for feed in feeds:
        by_language.setdefault(feed.language, []).append(feed)
    items = []
    for language, links in by_language.items():
        name = html.escape(display_name(language, lang)) if language else page_label("feeds.all", lang)
        anchors = " · ".join(f'<a href="{html.escape(f.url)}" type="{html.escape(f.media_type)}"'
                             + (f' hreflang="{html.escape(language)}"' if language else "")
                             + f">{html.escape(f.fmt.upper() if f.fmt == 'rss' else f.fmt.title())}</a>"
                             for f in links)
        items.append(f"<li>{name}: {anchors}</li>")
    return (f'<nav aria-labelledby="feeds"><h2 id="feeds">{page_label("feeds", lang)}</h2>'
            f'<ul>{"".join(items)}</ul></nav>')


def _head(publisher: Publisher, lang: str, languages: list[str], handle: str) -> str:
    description = excerpt(publisher.summary, "")
    links = link_tags([{"rel": "canonical", "href": publisher.actor_url},
                       # Fediverse apps and Mastodon's search resolve a pasted page URL through this link.
                       {"rel": "alternate", "type": "application/activity+json", "href": publisher.actor_url}])
    meta = meta_tags([
        ("name", "description", description),
        ("property", "og:type", "profile"), ("property", "og:title", publisher.name),
        ("property", "og:description", description), ("property", "og:url", publisher.actor_url),
        ("property", "og:site_name", publisher.name), ("property", "og:image", publisher.icon_url),
        ("property", "og:locale", og_locale(lang)), ("property", "profile:username", handle),
        ("name", "twitter:card", "summary"),
    ])
    doc: dict[str, Any] = {"@context": "https://schema.org", **organization(publisher, "NewsMediaOrganization")}
    if publisher.summary:
        doc["description"] = publisher.summary
    if languages:
        doc["knowsLanguage"] = languages
    return links + meta + json_ld_script(doc)


def _channels(channels: list[tuple[str, str]], lang: str) -> str:
    """The language channels to follow instead of the agency (one language each), by their CLDR names."""
    if not channels:
        return ""
    items = "".join(f"<li>{html.escape(display_name(language, lang))}: <code>{html.escape(address)}</code></li>"
                    for language, address in channels)
    return f"<p>{page_label('profile.channels', lang)}</p><ul>{items}</ul>"


def _factcheck_channel(address: str, lang: str) -> str:
    """The fact-check channel to follow (node/factchecks/channel.py), when the agency runs one."""
    if not address:
        return ""
    return (f'<p class="factcheck-channel">'
            f"{page_label('profile.factchecks', lang, f'<code>{html.escape(address)}</code>')}</p>")


def profile_page(publisher: Publisher, handle: str, languages: list[str], stories: list[FeedEntry],
                 feeds: list[FeedLink], *, channels: list[tuple[str, str]] | None = None, factcheck_channel: str = "",
                 feed_head: str = "") -> str:
    """The agency's page in its first language (`languages`); `stories` newest first; `channels` are
    (language, @handle@host) of its language channels; `factcheck_channel` the @handle@host of its fact-check
    channel ("" when it runs none); `feed_head` is trusted markup for the head (the feeds' alternate links)."""
    lang = languages[0] if languages else ""
    page_lang = lang or "en"
    icon = (f'<img class="logo" src="{html.escape(publisher.icon_url)}" alt="" width="{ICON_SIZE}" '
            f'height="{ICON_SIZE}">' if publisher.icon_url else "")  # alt="": the name is the heading beside it
    summary = f"<p>{html.escape(publisher.summary)}</p>" if publisher.summary else ""
    follow = page_label("profile.follow", page_lang, f"<strong><code>{html.escape(publisher.address)}</code></strong>")
    recent = ("<ol class=\"stories\">" + "".join(_story_item(e, lang) for e in stories) + "</ol>" if stories
              else f"<p>{page_label('profile.none', page_lang)}</p>")
    body = (f'<main><header class="profile">{icon}<h1>{html.escape(publisher.name)}</h1>{summary}'
            f"<p>{follow}</p>{_channels(channels or [], page_lang)}"
            f"{_factcheck_channel(factcheck_channel, page_lang)}</header>"
            f'<section aria-labelledby="recent"><h2 id="recent">{page_label("profile.recent", page_lang)}</h2>'
            f"{recent}</section>{_feed_list(feeds, page_lang)}</main>")
    head = _head(publisher, page_lang, languages, handle) + feed_head
    return page_shell(publisher.name, body, lang, extra_head=head)
