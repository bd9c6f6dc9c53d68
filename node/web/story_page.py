"""A story's public page (what a browser gets at ``/stories/<uuid>``) and its gone page after a kill.

The page is for three readers at once: a person (the story with its media, the languages it reads in, its
correction history, how it is signed, the agency's feeds), a search engine (canonical and hreflang links,
schema.org NewsArticle JSON-LD) and a fediverse app or chat app making a link preview (OpenGraph, a Twitter card,
Mastodon's ``fediverse:creator``). Each language version is its own page (``?lang=``): it is its own canonical
URL and names the others as alternates, as search engines want of translated pages.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from federation.vocab import iso
from node.stories.documents import LanguageVersion
from node.stories.models import Story
from node.web.metadata import (Publisher, excerpt, image_object, json_ld_script, link_tags, meta_tags, og_locale,
                               organization)
from node.web.pages import (localized, media_html, method_label, page_label, page_shell, reader_date,
                            text_direction)
from schemas.labels import label, label_language
from schemas.languages import display_name
from schemas.lifecycle import correction_html

__all__ = ["Correction", "Signature", "StoryContext", "gone_page", "story_page"]

FEED_FORMATS = (("rss", "RSS", "application/rss+xml"), ("atom", "Atom", "application/atom+xml"))


@dataclass(frozen=True)
class Correction:
    """One correction of a story: when it was made and its note per language."""

    date: datetime
    note: dict[str, str]


@dataclass(frozen=True)
class Signature:
    """How the story's ActivityPub document is signed (FEP-8b32) and which revision the page shows."""

    key_id: str       # the Multikey id (the actor URL with the key as fragment)
    public_key: str   # its multibase (z6Mk...)
    revision: int


@dataclass(frozen=True)
class StoryContext:
    """What the story page knows beyond the story: who publishes it, its corrections, its signature, its feeds."""

    url: str                                      # the story's own URL (its original's page)
    publisher: Publisher
    feed_url: Callable[[str, str], str]           # (format, language) -> URL of the agency's feed
    corrections: list[Correction] = field(default_factory=list)
    signature: Signature | None = None


def _version_url(ctx: StoryContext, story: Story, version: LanguageVersion) -> str:
    """Where a language version is read: the original at the story's canonical URL (the agency's own site when
    it gave one), a translation at ``?lang=``."""
    if version.kind == "original":
        return story.canonical_url or ctx.url
    return f"{ctx.url}?lang={version.language}"


def _lead(story: Story) -> dict[str, Any] | None:
    return next((m for m in story.media or () if m.get("lead") and m.get("kind") == "image"), None)


def _lead_picture(lead: dict[str, Any]) -> tuple[str, Any, Any]:
    """(url, width, height) of the lead image's web rendition (what previews should fetch), else the original."""
    web = (lead.get("renditions") or {}).get("web.jpg") or {}
    if web.get("url"):
        return str(web["url"]), web.get("width"), web.get("height")
    return str(lead.get("url", "")), lead.get("width"), lead.get("height")


def _modified(story: Story, shown: LanguageVersion) -> datetime:
    """When this language version last changed: the story's last update or the translation's, if later."""
    moments = [m for m in (story.published_at, story.updated_at, shown.updated) if m is not None]
    return max(moments)


def _head(story: Story, versions: list[LanguageVersion], shown: LanguageVersion, ctx: StoryContext,
          description: str) -> str:
    lang = shown.language
    canonical = _version_url(ctx, story, shown)
    links = [{"rel": "canonical", "href": canonical},
             # Mastodon's search (and other fediverse apps) resolve a pasted page URL to the object through this.
             {"rel": "alternate", "type": "application/activity+json", "href": ctx.url}]
    links += [{"rel": "alternate", "hreflang": v.language, "href": _version_url(ctx, story, v)} for v in versions]
    links.append({"rel": "alternate", "hreflang": "x-default", "href": _version_url(ctx, story, versions[0])})
    title = f"{ctx.publisher.name} ({display_name(lang, lang)})"
    links += [{"rel": "alternate", "type": media_type, "title": f"{title}, {name}", "href": ctx.feed_url(fmt, lang)}
              for fmt, name, media_type in FEED_FORMATS]
    meta: list[tuple[str, str, Any]] = [
        ("name", "description", description),
        ("property", "og:type", "article"), ("property", "og:title", shown.headline),
        ("property", "og:description", description), ("property", "og:url", canonical),
        ("property", "og:site_name", ctx.publisher.name), ("property", "og:locale", og_locale(lang)),
        *(("property", "og:locale:alternate", og_locale(v.language)) for v in versions if v is not shown),
    ]
    lead = _lead(story)
    if lead:
        url, width, height = _lead_picture(lead)
        meta += [("property", "og:image", url), ("property", "og:image:width", width),
                 ("property", "og:image:height", height), ("property", "og:image:alt", localized(lead.get("alt"), lang))]
    meta += [("property", "article:published_time", iso(story.published_at)),
             ("property", "article:modified_time", iso(_modified(story, shown))),
             *(("property", "article:tag", tag) for tag in story.hashtags or ()),
             ("name", "twitter:card", "summary_large_image" if lead else "summary"),
             # Mastodon credits the agency's account under link previews of pages that name it.
             ("name", "fediverse:creator", ctx.publisher.address)]
    return link_tags(links) + meta_tags(meta) + json_ld_script(
        news_article(story, versions, shown, ctx, description))


def news_article(story: Story, versions: list[LanguageVersion], shown: LanguageVersion, ctx: StoryContext,
                 description: str) -> dict[str, Any]:
    """The language version as a schema.org NewsArticle (what search engines read for news results)."""
    lang = shown.language
    canonical = _version_url(ctx, story, shown)
    publisher = organization(ctx.publisher)
    doc: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "NewsArticle", "@id": f"{canonical}#article", "url": canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "headline": shown.headline, "description": description, "inLanguage": lang,
        "datePublished": iso(story.published_at), "dateModified": iso(_modified(story, shown)),
        "version": story.version, "isAccessibleForFree": True, "author": publisher, "publisher": publisher,
    }
    lead = _lead(story)
    if lead:
        url, width, height = _lead_picture(lead)
        doc["image"] = [image_object(url, width, height, caption=localized(lead.get("caption"), lang),
                                     description=localized(lead.get("alt"), lang),
                                     creditText=str(lead.get("credit") or ""),
                                     copyrightNotice=str(lead.get("copyright") or ""))]
    if story.hashtags:
        doc["keywords"] = list(story.hashtags)
    others = [{"@id": _version_url(ctx, story, v), "inLanguage": v.language} for v in versions if v is not shown]
    if shown.kind == "translation":
        original = versions[0]
        doc["translationOfWork"] = {"@id": _version_url(ctx, story, original), "inLanguage": original.language}
    elif others:
        doc["workTranslation"] = others
    notes = [(c, c.note.get(lang) or c.note.get(story.language) or "") for c in ctx.corrections]
    if notes:
        doc["correction"] = [{"@type": "CorrectionComment", "text": text, "datePublished": iso(c.date)}
                             for c, text in notes if text]
    return doc


def _corrections(story: Story, ctx: StoryContext, lang: str) -> str:
    """The correction history, oldest first: each correction's date and its note in the page's language (in the
    original's language, marked so, when a later translation has none)."""
    items = []
    for c in ctx.corrections:
        note_lang = lang if c.note.get(lang) else story.language
        note = c.note.get(note_lang) or ""
        if not note:
            continue
        paragraph = correction_html(note, note_lang)
        if note_lang != lang:
            paragraph = f'<div lang="{html.escape(note_lang)}" dir="{text_direction(note_lang)}">{paragraph}</div>'
        items.append(f'<li><time datetime="{iso(c.date)}">{html.escape(reader_date(c.date, lang))}</time>{paragraph}</li>')
    if not items:
        return ""
    return (f'<section class="corrections" aria-labelledby="corrections"><h2 id="corrections">'
            f'{page_label("corrections", lang)}</h2><ol>{"".join(items)}</ol></section>')


def _verification(ctx: StoryContext, lang: str) -> str:
    sig = ctx.signature
    if sig is None:
        return ""
    key = f'<a href="{html.escape(sig.key_id)}"><code>{html.escape(sig.public_key)}</code></a>'
    return (f'<p class="verification"><small>'
            f'{page_label("verification", lang, html.escape(ctx.publisher.name), key, str(sig.revision))}'
            "</small></p>")


def _feeds(ctx: StoryContext, lang: str) -> str:
    """Links to the agency's feeds in the page's language."""
    name = html.escape(label("feeds", lang)[0])
    links = " · ".join(f'<a href="{html.escape(ctx.feed_url(fmt, lang))}" type="{media_type}">{text}</a>'
                       for fmt, text, media_type in FEED_FORMATS)
    return (f'<nav aria-label="{name}"><p>{page_label("feeds", lang)} '
            f'({html.escape(display_name(lang, lang))}): {links}</p></nav>')


def _provenance(shown: LanguageVersion, lang: str) -> str:
    """How a translation was made, in the page's language."""
    if shown.kind != "translation":
        return ""
    english = label_language(lang) == "en"

    # English reads as a sentence ("Translated from X, by Y"); the others as labelled fields ("Y: X · ...").
    def field_(key: str, value: str) -> str:
        return f"{page_label(key, lang)} {value}" if english else f"{page_label(key, lang)}: {value}"
    names_in = "en" if english else lang  # an English sentence names languages in English
    parts = [field_("source_language", html.escape(display_name(shown.source_language, names_in))),
             method_label(shown.method, lang)]
    if shown.engine:
        parts.append(field_("engine", html.escape(shown.engine)))
    if shown.translator:
        parts.append(field_("translator", html.escape(shown.translator)))
    elif shown.translated_by:
        parts.append(field_("translator", f'<a href="{html.escape(shown.translated_by)}">'
                                          f"{html.escape(shown.translated_by)}</a>"))
    if shown.reviewer:
        parts.append(field_("reviewer", html.escape(shown.reviewer)))
    return f'<p class="provenance"><small>{(", " if english else " · ").join(parts)}</small></p>'


def story_page(story: Story, versions: list[LanguageVersion], wanted: str, ctx: StoryContext) -> str:
    """The story for a browser, in `wanted` (a `?lang=`) when approved, else the original; every language is
    listed by its CLDR name, each translation labelled with how it was made."""
    shown = next((v for v in versions if v.language == wanted), versions[0])
    lang = shown.language
    links = []
    for v in versions:
        name = html.escape(display_name(v.language, lang))
        how = page_label("original", lang) if v.kind == "original" else method_label(v.method, lang)
        item = (f'<span aria-current="page">{name}</span>' if v is shown else
                f'<a href="?lang={html.escape(v.language)}" hreflang="{html.escape(v.language)}">{name}</a>')
        # The name and the label are in the page's language (hreflang marks the target's).
        links.append(f"<li>{item} <small>({how})</small></li>")
    description = excerpt(shown.summary, shown.body_html)
    lead, others = media_html(story.media or [], lang)
    modified = _modified(story, shown)
    updated = ""
    if modified > story.published_at:
        stamp = f'<time datetime="{iso(modified)}">{html.escape(reader_date(modified, lang))}</time>'
        updated = f" · {page_label('updated', lang, stamp)}"
    publisher = ctx.publisher
    byline = (f'<p class="byline"><a href="{html.escape(publisher.actor_url)}">{html.escape(publisher.name)}</a>'
              f' · <time datetime="{iso(story.published_at)}">{html.escape(reader_date(story.published_at, lang))}</time>'
              f"{updated}</p>")
    summary = f"<p><em>{html.escape(shown.summary)}</em></p>" if shown.summary else ""
    body = (f"<main><article><h1>{html.escape(shown.headline)}</h1>{summary}{byline}{lead}{shown.body_html}"
            f"{others}{_provenance(shown, lang)}{_corrections(story, ctx, lang)}"
            f"<footer>{_verification(ctx, lang)}</footer></article></main>"
            f'<nav aria-label="{html.escape(label("languages", lang)[0])}"><ul>{"".join(links)}</ul></nav>'
            f"{_feeds(ctx, lang)}")
    return page_shell(shown.headline, body, lang, extra_head=_head(story, versions, shown, ctx, description))


def gone_page(url: str, language: str = "en", *, reason: str = "", deleted: datetime | None = None) -> str:
    """What a reader sees at a killed story (served with 410), in the story's language when catalogued: that it
    was withdrawn, when, and the agency's reason when it gave one. The headline is not repeated."""
    lang = label_language(language)
    when = ""
    if deleted is not None:
        stamp = f'<time datetime="{iso(deleted)}">{html.escape(reader_date(deleted, lang))}</time>'
        when = f"<p>{page_label('gone.date', lang, stamp)}</p>"
    why = f"<p>{page_label('gone.reason', lang, html.escape(reason))}</p>" if reason else ""
    return page_shell(label("gone.title", lang)[0],
                      f"<main><h1>{page_label('gone.title', lang)}</h1>"
                      f"<p>{page_label('gone.text', lang, f'<code>{html.escape(url)}</code>')}</p>{when}{why}</main>",
                      lang, extra_head='<meta name="robots" content="noindex">')
