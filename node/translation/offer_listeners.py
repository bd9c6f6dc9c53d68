"""Translation exchange on the wire: a partner's translation of one of our stories arrives as a Create of its
own object, linked to our story with an FEP-e232 `Link` tag (`rel` = `schemas.provenance.TRANSLATION_OF_REL`).

The origin stores it as an offer for its editor, or refuses it with a Reject whose `summary` says why (not a
follower or partner, a language the story has in original form, a body over the limit, a story that is not ours
or is deleted): the offering node learns the reason, and nothing is stored. The editor's later decision goes
back as Accept or Reject of the offered object; `answer_to_offer` records it on the offering side.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation.context import Federation
from federation.listeners import Ignored
from federation.outbox import enqueue, new_uuid
from federation.payload import ref
from federation.sanitize import html_to_text, sanitize_html
from federation.vocab import activity as build_activity
from federation.store.models import Follower, Following
from node.translation.models import OfferedTranslation, TranslationOffer
from node.stories.models import Story
from schemas.languages import normalize_tag
from schemas.provenance import METHODS, parse_provenance, translation_of

__all__ = ["answer_offer", "answer_to_offer", "handle_offer", "is_partner", "on_accept", "on_create", "on_delete",
           "on_reject", "withdraw_offer"]


async def is_partner(actor_uri: str) -> bool:
    """Whether the actor follows one of our actors or one of ours follows it (accepted either way)."""
    if await Follower.filter(actor__uri=actor_uri, state="accepted").exists():
        return True
    return await Following.filter(actor__uri=actor_uri, state="accepted").exists()


async def answer_offer(fed: Federation, username: str, offer_object: dict[str, Any] | str, actor_uri: str,
                       inbox: str, type_: str, reason: str = "", connection: Any = None) -> None:
    """Tell the offering agency (personal inbox) that its offer was accepted or refused, and why."""
    obj = offer_object if isinstance(offer_object, str) else {
        k: offer_object[k] for k in ("id", "type", "attributedTo") if k in offer_object}
    doc = build_activity(fed.urls, username, uuid=new_uuid(), type_=type_, obj=obj, to=[actor_uri],
                         published=datetime.now(timezone.utc))
    if reason:
        doc["summary"] = reason
    await enqueue(fed, username=username, activity=doc, inboxes=[inbox], connection=connection)


def _local_story_uuid(fed: Federation, href: str) -> str | None:
    prefix = fed.urls.story("")
    uuid = href[len(prefix):] if href.startswith(prefix) else ""
    return uuid if uuid and "/" not in uuid else None


def _offered_language(obj: dict[str, Any]) -> str:
    contents = obj.get("contentMap")
    if isinstance(contents, dict) and len(contents) == 1:
        return str(next(iter(contents)))
    records = [tag for tag, r in parse_provenance(obj.get("languageProvenance")).items() if r["kind"] != "original"]
    if len(records) == 1:
        return records[0]
    raise ValueError("the offered object must carry exactly one language (a one-key contentMap)")


async def handle_offer(fed: Federation, activity: dict[str, Any], signature: str = "") -> str:
    """Create of a translation linked to one of our stories: store it as an offer, or refuse it with a reason."""
    obj = activity["object"]
    target = translation_of(obj) or ""
    actor_uri = activity["actor"]
    uuid = _local_story_uuid(fed, target)
    if uuid is None:
        raise Ignored(f"translation of {target}, which is not one of our stories")
    username = next(iter(fed.local_actors))  # the agency actor comes first (its language channels follow)
    remote = await fed.fetcher.actor(actor_uri)

    async def refuse(reason: str) -> Ignored:
        await answer_offer(fed, username, obj, actor_uri, remote.inbox, "Reject", reason)
        return Ignored(f"translation offer refused: {reason}")

    policy = fed.translation_policy
    if not policy.accept_offers:
        raise await refuse("this agency does not take translation offers")
    if not await is_partner(actor_uri):
        raise await refuse("only agencies that follow us or that we follow may offer translations")
    story = await Story.get_or_none(uuid=uuid)
    if story is None or story.state != "published":
        raise await refuse(f"no published story {target}")
    try:
        language = normalize_tag(_offered_language(obj))
    except ValueError as exc:
        raise await refuse(f"unreadable language: {exc}") from None
    if language == story.language:
        raise await refuse(f"the story is written in {language}: it has that language in original form")
    contents = obj.get("contentMap") or {}
    body = str(obj.get("content") or next(iter(contents.values()), "") or "")
    if len(body) > policy.max_body_chars:
        raise await refuse(f"the body has {len(body)} characters; the limit is {policy.max_body_chars}")
    body_html = sanitize_html(body)
    headline = html_to_text(str(obj.get("name") or next(iter((obj.get("nameMap") or {}).values()), "") or ""))
    if not headline or not html_to_text(body_html):
        raise await refuse("a translation needs a headline and a body")
    record = parse_provenance(obj.get("languageProvenance")).get(language, {})
    values = dict(story_id=story.id, actor_id=remote.id, language=language, headline=headline[:500],
                  summary=html_to_text(str(obj.get("summary") or "")),
                  body_html=body_html, method=record.get("method") if record.get("method") in METHODS else "human",
                  engine=record.get("engine", ""), translator=record.get("translator", ""))
    existing = await TranslationOffer.get_or_none(object_uri=obj["id"])
    if existing is not None:
        if existing.state != "offered":
            raise Ignored(f"offer {obj['id']} was already {existing.state}")
        await TranslationOffer.filter(id=existing.id).update(**values)
        return f"translation offer {obj['id']} updated"
    await TranslationOffer.create(object_uri=obj["id"], **values)
    return f"translation offer ({language}) from {actor_uri} stored"


async def answer_to_offer(fed: Federation, activity: dict[str, Any], state: str) -> str | None:
    """Accept or Reject of a translation we offered: record the origin's decision (None if it is not one)."""
    target = ref(activity.get("object"), "answered object") or ""
    prefix = fed.urls.offered_translation("")
    if not target.startswith(prefix):
        return None
    row = await OfferedTranslation.get_or_none(uuid=target[len(prefix):]).prefetch_related("wire_story__actor")
    if row is None:
        raise Ignored(f"answer to an unknown offer {target}")
    if row.wire_story.actor.uri != activity["actor"]:
        raise Ignored("answer to an offer from someone other than the story's origin")
    reason = activity.get("summary") if isinstance(activity.get("summary"), str) else ""
    await OfferedTranslation.filter(id=row.id).update(state=state, note=html_to_text(reason)[:1000],
                                                      decided_at=datetime.now(timezone.utc))
    return f"offer {target} {state}" + (f": {reason}" if reason else "")


async def withdraw_offer(activity: dict[str, Any], target: str) -> str | None:
    """Delete of an offered translation by the agency that offered it: an undecided offer is withdrawn (None if
    `target` is no offer of that agency)."""
    offer = await TranslationOffer.get_or_none(object_uri=target, actor__uri=activity["actor"])
    if offer is None:
        return None
    if offer.state != "offered":
        raise Ignored(f"offer {target} was already {offer.state}; withdrawing it changes nothing")
    await TranslationOffer.filter(id=offer.id, state="offered").update(state="withdrawn",
                                                                     decided_at=datetime.now(timezone.utc))
    return f"translation offer {target} withdrawn by {activity['actor']}"


# --- the listeners the node registers (node/inbox.py) --------------------------------------------------------

async def on_create(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """A Create (or Update) whose object is linked to one of our stories by `translationOf` is an offer; others
    pass on."""
    if isinstance(activity.get("object"), dict) and translation_of(activity["object"]):
        return await handle_offer(fed, activity, signature)
    return None


async def on_accept(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """The origin accepted a translation we offered (anything else passes on, to the follow answers)."""
    return await answer_to_offer(fed, activity, "accepted")


async def on_reject(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """The origin refused a translation we offered."""
    return await answer_to_offer(fed, activity, "declined")


async def on_delete(fed: Federation, activity: dict[str, Any], signature: str = "") -> str | None:
    """A partner withdrew a translation it had offered us."""
    return await withdraw_offer(activity, ref(activity.get("object"), "deleted object") or "")
