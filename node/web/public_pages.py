"""The HTML answers at the URLs ActivityPub clients fetch as JSON: a story's page (or its gone page after a kill)
and the agency's profile page. This module gathers what the pages show from the node and the database; the
markup is `node.web.story_page` and `node.web.profile`."""

from __future__ import annotations

from aiohttp import web

from node.factchecks.channel import channel_for as factcheck_channel_for
from node.runtime import Node
from node.stories import feeds as story_feeds, revisions
from node.stories.documents import language_versions
from node.stories.models import Story
from node.translation.channels import channel_for
from node.web.feeds import alternate_links, feed_url, served_languages
from node.web.keys import DOCUMENTS
from node.web.metadata import Publisher
from node.web.profile import RECENT_STORIES, FeedLink, profile_page
from node.web.story_page import Correction, Signature, StoryContext, gone_page, story_page

__all__ = ["profile_response", "publisher_of", "story_response"]

_HEADERS = {"Vary": "Accept"}  # the same URL answers JSON to ActivityPub clients
MAX_TAG = 35  # a BCP 47 tag's length as stored (Story.language); a longer ?lang= cannot name a version


def publisher_of(node: Node) -> Publisher:
    """The agency as its pages name it."""
    agency = node.config.agency
    actor_url = node.urls.actor(node.agency)
    return Publisher(name=agency.name, actor_url=actor_url, site_url=agency.url or actor_url,
                     icon_url=agency.icon_url, address=f"@{agency.handle}@{node.config.host}",
                     summary=agency.summary)


def _signature(node: Node, story: Story) -> Signature | None:
    """The key the story's served document is signed with now (the agency's current Ed25519 key)."""
    current = next((k for k in node.proof_keys.get(node.agency, []) if k.expires_at is None), None)
    if current is None:
        return None
    return Signature(key_id=current.key_id, public_key=current.public_key, revision=story.version)


async def story_response(request: web.Request, node: Node, row: Story) -> web.Response:
    """A story's page (200), or its gone page (410) once killed."""
    url = node.urls.story(row.uuid)
    if row.state == "deleted":
        page = gone_page(url, row.language, reason=row.kill_reason or "", deleted=row.deleted_at)
        return web.Response(status=410, text=page, content_type="text/html", charset="utf-8", headers=_HEADERS)
    wanted = request.query.get("lang", "")[:MAX_TAG]

    async def build() -> tuple[int, bytes]:
        versions = await language_versions(node.urls, node.agency, row)
        ctx = StoryContext(url=url, publisher=publisher_of(node),
                           feed_url=lambda fmt, language: feed_url(node, fmt, language),
                           corrections=[Correction(r.created_at, dict(r.correction_note))
                                        for r in await revisions.corrections(row)],
                           signature=_signature(node, row))
        return 200, story_page(row, versions, wanted, ctx).encode("utf-8")

    # A story shared on the fediverse is fetched for link previews by every server that received the post at
    # about the same moment: built once for all of them (and kept a second, emptied by any editor write).
    _, body = await request.app[DOCUMENTS].get_or_build(("story-page", row.uuid, wanted, node.key_generation), build)
    return web.Response(body=body, content_type="text/html", charset="utf-8", headers=_HEADERS)


async def profile_response(request: web.Request, node: Node) -> web.Response:
    """The agency's profile page: its recent live stories, newest first, and its feeds."""
    async def build() -> tuple[int, bytes]:
        languages = await served_languages(request)
        feeds = [FeedLink(language, fmt, media_type, feed_url(node, fmt, language))
                 for language in [*languages, ""] for fmt, media_type in story_feeds.FORMATS.items()]
        stories = await story_feeds.feed_entries(node.urls.story, limit=RECENT_STORIES)
        channels = [(language, f"@{name}@{node.config.host}") for language in node.config.channel_languages
                    if (name := channel_for(node.fed, node.agency, language)) is not None]  # type: ignore[arg-type]
        factchecks = factcheck_channel_for(node.fed, node.agency)
        page = profile_page(publisher_of(node), node.agency, list(node.config.agency.languages or []), stories,
                            feeds, channels=channels,
                            factcheck_channel=f"@{factchecks}@{node.config.host}" if factchecks else "",
                            feed_head=await alternate_links(request))
        return 200, page.encode("utf-8")

    _, body = await request.app[DOCUMENTS].get_or_build(("profile-page", node.key_generation), build)
    return web.Response(body=body, content_type="text/html", charset="utf-8", headers=_HEADERS)
