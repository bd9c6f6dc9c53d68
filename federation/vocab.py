"""ActivityStreams vocabulary we send: URL layout of local objects and builders for actors, stories, activities.

Pure: takes plain values, returns JSON-ready dicts. Contexts are the common ones peers know offline (INTEROP.md);
nothing here is fetched at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from schemas.lifecycle import TERMS as LIFECYCLE_TERMS

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_MEDIA_TYPE = "application/activity+json"
LD_MEDIA_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

# Terms outside the AS2 core that we use, defined inline so that no remote context is needed.
_EXTRA_TERMS = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
}

ACTOR_CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_CONTEXT, _EXTRA_TERMS]
# FEP-521a: Multikey (and its `controller`, `publicKeyMultibase`, `expires`) from the multikey context;
# `assertionMethod` defined inline (as in the W3C Controlled Identifiers vocabulary), so no DID context is needed.
PROOF_ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT, SECURITY_CONTEXT, "https://w3id.org/security/data-integrity/v1",
    "https://w3id.org/security/multikey/v1",
    {**_EXTRA_TERMS, "assertionMethod": {"@id": "https://w3id.org/security#assertionMethod", "@type": "@id",
                                         "@container": "@set"}},
]
# Media attachments: Mastodon's blurhash and focal point, the VC data model's digestMultibase (the SHA-256 of the
# file, inside what the story's proof covers), schema.org's credit, copyright and IPTC digital source type, and
# schema.org's isBasedOn: the partner's item that a reused photo is our copy of.
MEDIA_TERMS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "digestMultibase": {"@id": "https://w3id.org/security#digestMultibase",
                        "@type": "https://w3id.org/security#multibase"},
    "schema": "http://schema.org/",
    "creditText": "schema:creditText",
    "copyrightNotice": "schema:copyrightNotice",
    "digitalSourceType": {"@id": "schema:digitalSourceType", "@type": "@id"},
    "isBasedOn": {"@id": "schema:isBasedOn", "@type": "@id"},
}
OBJECT_CONTEXT: list[Any] = [AS_CONTEXT, {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive", **LIFECYCLE_TERMS,
                                          **MEDIA_TERMS}]
# The ActivityStreams type of each kind of media item.
MEDIA_OBJECT_TYPES = {"image": "Image", "video": "Video", "audio": "Audio", "document": "Document"}
# Mastodon keeps the first four attachments of a post; the rest are listed on the story's page.
MAX_ATTACHMENTS = 4

INSTANCE_ACTOR = "__instance__"  # key-store name of the instance (application) actor


def iso(dt: datetime) -> str:
    """RFC 3339 UTC timestamp with a Z, as peers expect (no microseconds)."""
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class LocalUrls:
    """Where this node's objects live, derived from the base URL only."""

    base_url: str

    def actor(self, username: str) -> str:
        return f"{self.base_url}/actor" if username == INSTANCE_ACTOR else f"{self.base_url}/actors/{username}"

    def key_id(self, username: str) -> str:
        return self.actor(username) + "#main-key"

    def inbox(self, username: str) -> str:
        return self.actor(username) + "/inbox"

    def outbox(self, username: str) -> str:
        return self.actor(username) + "/outbox"

    def followers(self, username: str) -> str:
        return self.actor(username) + "/followers"

    def following(self, username: str) -> str:
        return self.actor(username) + "/following"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    def story(self, uuid: str) -> str:
        return f"{self.base_url}/stories/{uuid}"

    def activity(self, uuid: str) -> str:
        return f"{self.base_url}/activities/{uuid}"

    def offered_translation(self, uuid: str) -> str:
        """Our translation of a partner's story, offered to its origin (node/translation/offers.py)."""
        return f"{self.base_url}/translations/{uuid}"

    def tag(self, name: str) -> str:
        return f"{self.base_url}/tags/{name}"


def actor_document(urls: LocalUrls, username: str, *, type_: str, name: str, summary_html: str,
                   public_key_pem: str, icon_url: str = "", url: str = "",
                   manually_approves_followers: bool = False, discoverable: bool = True,
                   published: datetime | None = None,
                   assertion_method: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The actor document for a local actor (Organization for the agency, Application for the instance).

    `assertion_method` lists the actor's Ed25519 Multikeys (FEP-521a), which sign its object proofs.
    """
    actor_id = urls.actor(username)
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": actor_id,
        "type": type_,
        "preferredUsername": username if username != INSTANCE_ACTOR else urls.base_url.split("://", 1)[1],
        "name": name,
        "summary": summary_html,
        "url": url or actor_id,
        "inbox": urls.inbox(username),
        "outbox": urls.outbox(username),
        "followers": urls.followers(username),
        "following": urls.following(username),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": manually_approves_followers,
        "discoverable": discoverable,
        "publicKey": {"id": urls.key_id(username), "owner": actor_id, "publicKeyPem": public_key_pem},
    }
    if assertion_method:
        doc["@context"] = PROOF_ACTOR_CONTEXT
        doc["assertionMethod"] = assertion_method
    if icon_url:
        doc["icon"] = {"type": "Image", "url": icon_url}
    if published is not None:
        doc["published"] = iso(published)
    return doc


def hashtag_objects(urls: LocalUrls, hashtags: Iterable[str]) -> list[dict[str, str]]:
    """Mastodon-style Hashtag tags (name with '#', href to our tag page)."""
    return [{"type": "Hashtag", "name": f"#{t}", "href": urls.tag(t.lower())} for t in hashtags]


def duration_text(seconds: float) -> str:
    """Seconds as an xsd:duration (``PT12.5S``), the form ActivityStreams' ``duration`` takes."""
    return f"PT{round(seconds, 3):g}S"


def media_object(media: Mapping[str, Any], language: str) -> dict[str, Any]:
    """One media item of a story as an ActivityStreams Image/Video/Audio/Document.

    ``media`` is the story's stored description of the item (`node.media.stock.story_media`): ``url``, ``kind``,
    ``media_type``, ``sha256`` and, where known, ``alt`` ({language: text}), ``width``, ``height``, ``duration``,
    ``blurhash``, ``focal_point``, ``credit``, ``copyright``, ``digital_source_type``, ``origin_url``. ``name`` is
    the alt text in ``language`` (the first one there is otherwise), ``nameMap`` all of them. A partner's item that
    we reuse keeps its credit (``creditText``) and links back to the partner's item (``isBasedOn``); ``url`` is our
    own copy.
    """
    from federation.multikey import digest_multibase  # here: importing vocab alone stays light (test_public_api)

    obj: dict[str, Any] = {"type": MEDIA_OBJECT_TYPES[media["kind"]], "mediaType": media["media_type"],
                           "url": media["url"], "digestMultibase": digest_multibase(bytes.fromhex(media["sha256"]))}
    alt = dict(media.get("alt") or {})
    if alt:
        obj["name"] = alt.get(language) or next(iter(alt.values()))
        obj["nameMap"] = alt
    for key, term in (("width", "width"), ("height", "height"), ("blurhash", "blurhash"),
                      ("credit", "creditText"), ("copyright", "copyrightNotice"),
                      ("digital_source_type", "digitalSourceType"), ("origin_url", "isBasedOn")):
        if media.get(key):
            obj[term] = media[key]
    if media.get("duration"):
        obj["duration"] = duration_text(media["duration"])
    if media.get("focal_point"):
        obj["focalPoint"] = list(media["focal_point"])
    return obj


def media_fields(media: Iterable[Mapping[str, Any]], language: str) -> dict[str, Any]:
    """A story's ``image`` (its lead image) and ``attachment`` list (lead first, at most `MAX_ATTACHMENTS`)."""
    items = list(media)
    fields: dict[str, Any] = {}
    lead = next((m for m in items if m.get("lead")), None)
    if lead is not None:
        image = media_object(lead, language)
        fields["image"] = {k: v for k, v in image.items() if k in ("type", "mediaType", "url", "name", "width",
                                                                    "height", "digestMultibase")}
        items = [lead, *(m for m in items if m is not lead)]
    if items:
        fields["attachment"] = [media_object(m, language) for m in items[:MAX_ATTACHMENTS]]
    return fields


def article(urls: LocalUrls, username: str, *, uuid: str, headline: str, summary_text: str, body_html: str,
            language: str, hashtags: Iterable[str], canonical_url: str | None, published: datetime,
            updated: datetime | None, media: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """A story as an Article, with the fields Mastodon, Misskey and partner nodes read (INTEROP.md)."""
    story_id = urls.story(uuid)
    obj: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": story_id,
        "type": "Article",
        "attributedTo": urls.actor(username),
        "name": headline,
        "nameMap": {language: headline},
        "summary": summary_text,
        "summaryMap": {language: summary_text},
        "content": body_html,
        "contentMap": {language: body_html},
        "mediaType": "text/html",
        "url": canonical_url or story_id,
        "published": iso(published),
        "to": [PUBLIC],
        "cc": [urls.followers(username)],
        "tag": hashtag_objects(urls, hashtags),
        # FEP-b2b8: a short Note for clients that render Articles as a link only.
        "preview": {
            "type": "Note",
            "content": f"<p><strong>{_escape(headline)}</strong></p><p>{_escape(summary_text)}</p>",
        },
    }
    obj.update(media_fields(media, language))
    if updated is not None:
        # Mastodon applies an Update as an edit only when `updated` is set.
        obj["updated"] = iso(updated)
    return obj


def tombstone(object_id: str, *, former_type: str, deleted: datetime) -> dict[str, Any]:
    """What a deleted story's URL serves (with HTTP 410) and what a Delete carries."""
    return {"@context": AS_CONTEXT, "id": object_id, "type": "Tombstone", "formerType": former_type,
            "deleted": iso(deleted)}


def activity(urls: LocalUrls, username: str, *, uuid: str, type_: str, obj: Any,
             to: list[str] | None = None, cc: list[str] | None = None,
             published: datetime | None = None) -> dict[str, Any]:
    """Wrap an object (embedded dict or id) in an activity sent by a local actor."""
    if isinstance(obj, dict):
        obj = {k: v for k, v in obj.items() if k != "@context"}
    doc: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": urls.activity(uuid),
        "type": type_,
        "actor": urls.actor(username),
        "object": obj,
    }
    if to is not None:
        doc["to"] = to
    if cc is not None:
        doc["cc"] = cc
    if published is not None:
        doc["published"] = iso(published)
    return doc


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
