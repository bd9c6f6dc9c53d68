"""Multilingual views: a story's HTML page (language switcher with CLDR names, provenance labels) and the
actor document of a language channel."""

from __future__ import annotations

import html
from typing import Any

from federation.vocab import actor_document, iso
from node.models import Story
from node.story_documents import LanguageVersion
from schemas.languages import display_name

_METHOD_LABEL = {"machine": "machine translation", "human": "translated by people",
                 "machine+human": "machine translation edited by people"}


def channel_actor_document(node: Any, username: str, language: str, key: Any) -> dict[str, Any]:
    """A language channel: its own actor (keys, inbox, outbox, followers), named in its own language."""
    agency = node.config.agency
    own_name = display_name(language, language)
    doc = actor_document(
        node.urls, username, type_="Organization", name=f"{agency.name} ({own_name})",
        summary_html=html.escape(f"{agency.name}: stories in {display_name(language, 'en')} ({own_name})."),
        public_key_pem=key.public_key_pem, icon_url=agency.icon_url, url=agency.url,
        manually_approves_followers=False, discoverable=agency.discoverable, published=key.created_at)
    doc["attributedTo"] = node.urls.actor(agency.handle)
    return doc


def story_page(story: Story, versions: list[LanguageVersion], wanted: str) -> str:
    """The story for a browser, in `wanted` (a `?lang=`) when approved, else the original; every language is
    listed by its CLDR name, each translation labelled with how it was made."""
    shown = next((v for v in versions if v.language == wanted), versions[0])
    lang = shown.language
    links = []
    for v in versions:
        name = html.escape(display_name(v.language, lang))
        label = "original" if v.kind == "original" else _METHOD_LABEL.get(v.method, v.method)
        item = name if v is shown else f'<a href="?lang={html.escape(v.language)}" hreflang="{html.escape(v.language)}">{name}</a>'
        links.append(f"<li lang={html.escape(v.language)}>{item} <small>({html.escape(label)})</small></li>")
    provenance = ""
    if shown.kind == "translation":
        provenance = (f"<p><small>Translated from {html.escape(display_name(shown.source_language, lang))}, "
                      f"{html.escape(_METHOD_LABEL.get(shown.method, shown.method))}"
                      + (f", engine {html.escape(shown.engine)}" if shown.engine else "")
                      + (f", by {html.escape(shown.translated_by)}" if shown.translated_by else "")
                      + "</small></p>")
    return (f"<!doctype html><html lang={html.escape(lang)}><meta charset=utf-8>"
            f"<title>{html.escape(shown.headline)}</title><article><h1>{html.escape(shown.headline)}</h1>"
            f"<p><em>{html.escape(shown.summary)}</em></p>{shown.body_html}{provenance}"
            f"<p><time datetime={iso(story.published_at)}>{iso(story.published_at)}</time></p></article>"
            f"<nav><ul>{''.join(links)}</ul></nav>")
