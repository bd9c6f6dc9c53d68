"""The optional fact-check channel: a followable actor ``<handle>_factchecks`` (``[factchecks] channel = true``)
that carries the agency's fact-checks to social-network readers (Mastodon, GoToSocial, Misskey).

It is built like a language channel (node/translation/channels.py): a local actor of its own with its own RSA key
(HTTP signatures) and Ed25519 key (object proofs), made at start by the same machinery (node/runtime.py), its
own inbox, outbox and followers collection, Follows accepted at once. Its own keys, not the agency's: a receiving
server checks that the key signing a delivery belongs to the activity's actor (Mastodon: the key's owner is the
actor), so the channel cannot sign with a key whose owner is the agency.

Its posts have their own ids (``/factchecks/<uuid>/channel``), attributed to the channel: a reader following both
the agency and the channel sees two distinct posts, never one id claimed by two actors. Each post is the fact-check
in its original language only (social readers take one language per post, INTEROP.md), with the verdict in plain
words in ``name`` and ``summary`` (what Mastodon shows of an Article) and the structured claim review kept.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any

from federation.context import Federation
from federation.outbox import enqueue, follower_inboxes, new_uuid
from federation.store.models import OutboxActivity
from federation.vocab import PUBLIC, LocalUrls, activity, actor_document
from node.factchecks.documents import factcheck_url, tombstone
from node.identity.proofkeys import assertion_methods
from node.factchecks.models import FactCheck, FactCheckActivity

__all__ = ["channel_actor_document", "channel_for", "channel_object", "channel_object_url", "channel_username",
           "post", "retract"]

SUFFIX = "_factchecks"


def channel_username(agency: str) -> str:
    """The fact-check channel's local username: ``baku`` -> ``baku_factchecks`` (no language tag is this long,
    so it never clashes with a language channel's ``baku_<language>``)."""
    return agency + SUFFIX


def channel_for(fed: Federation | None, agency: str) -> str | None:
    """The channel's username when this node runs one, else None."""
    name = channel_username(agency)
    return name if fed is not None and name in fed.local_actors else None


def channel_object_url(urls: LocalUrls, uuid: str) -> str:
    """The id of the channel's post of a fact-check."""
    return factcheck_url(urls, uuid) + "/channel"


def channel_object(urls: LocalUrls, agency: str, article: dict[str, Any]) -> dict[str, Any]:
    """The channel's post of a fact-check: the agency's Article (`documents.factcheck_object`) under its own id,
    attributed to the channel, in its original language only; `url` stays the fact-check's page."""
    channel = channel_username(agency)
    obj = dict(article)
    obj.pop("proof", None)
    language = next(iter(obj.get("contentMap") or {}), "")
    obj["id"] = channel_object_url(urls, article["id"].rstrip("/").rsplit("/", 1)[-1])
    obj["url"] = article["id"]
    obj["attributedTo"] = urls.actor(channel)
    obj["cc"] = [urls.followers(channel)]
    for key in ("nameMap", "summaryMap", "contentMap"):
        if isinstance(obj.get(key), dict) and language in obj[key]:
            obj[key] = {language: obj[key][language]}
    return obj


async def _send(fed: Federation, agency: str, fc: FactCheck, type_: str, obj: Any, conn: Any,
                extra: dict[str, Any] | None = None) -> None:
    channel = channel_username(agency)
    doc = activity(fed.urls, channel, uuid=new_uuid(), type_=type_, obj=obj, to=[PUBLIC],
                   cc=[fed.urls.followers(channel)], published=datetime.now(timezone.utc))
    if isinstance(obj, dict) and "@context" in obj:
        doc["@context"] = obj["@context"]
    doc.update(extra or {})
    row = await enqueue(fed, username=channel, activity=doc, inboxes=await follower_inboxes(channel),
                        public=True, connection=conn)
    await FactCheckActivity.create(factcheck_id=fc.id, activity_id=row.id, using_db=conn)


async def _posted(channel: str, fc: FactCheck, conn: Any) -> bool:
    """Whether the channel already posted this fact-check (it may have been configured after it was published)."""
    ids = await FactCheckActivity.filter(factcheck_id=fc.id).using_db(conn).values_list("activity_id", flat=True)
    return bool(ids) and await OutboxActivity.filter(id__in=list(ids), actor=channel).using_db(conn).exists()


async def post(fed: Federation, agency: str, fc: FactCheck, type_: str, article: dict[str, Any], conn: Any) -> bool:
    """Queue the channel's Create (a new fact-check) or Update (a correction, a new language) of a fact-check for
    the channel's followers; False when this node runs no channel."""
    name = channel_for(fed, agency)
    if name is None:
        return False
    if type_ == "Update" and not await _posted(name, fc, conn):
        type_ = "Create"  # Mastodon ignores an Update of a post it never got
    await _send(fed, agency, fc, type_, channel_object(fed.urls, agency, article), conn)
    return True


async def retract(fed: Federation, agency: str, fc: FactCheck, reason: str, conn: Any) -> bool:
    """Queue the channel's Delete of a withdrawn fact-check (with the reason); False when there is no channel or
    it never posted the fact-check."""
    name = channel_for(fed, agency)
    if name is None or not await _posted(name, fc, conn):
        return False
    gone = {**tombstone(fed.urls, fc), "id": channel_object_url(fed.urls, fc.uuid)}
    await _send(fed, agency, fc, "Delete", gone, conn, extra={"summary": reason, "killReason": reason} if reason
                else None)
    return True


def channel_actor_document(node: Any, username: str, key: Any) -> dict[str, Any]:
    """The channel's actor document: a Service (a bot) with its own keys, inbox, outbox and followers."""
    agency = node.config.agency
    doc = actor_document(
        node.urls, username, type_="Service", name=f"{agency.name}: fact-checks",
        summary_html=html.escape(f"Fact-checks by {agency.name}: each claim checked, with its verdict "
                                 "(false, misleading, missing context, unproven, true) and the explanation."),
        public_key_pem=key.public_key_pem, icon_url=agency.icon_url, url=agency.url,
        manually_approves_followers=False, discoverable=agency.discoverable, published=key.created_at,
        assertion_method=assertion_methods(node.urls, username, node.proof_keys.get(username, [])))
    doc["attributedTo"] = node.urls.actor(agency.handle)
    return doc
