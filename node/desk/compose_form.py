"""The compose form's words and values: reading the posted fields into `drafts.ItemFields`, the sentence each
refusal shows, what followers will see (the confirmations), and the media picker's items."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from federation.store.models import RemoteActor
from node.desk.i18n import DeskLocale
from node.media import stock
from node.media.models import MediaItem
from node.stories.drafts import DraftError, ItemFields

__all__ = ["FormError", "audience", "draft_message", "item_fields", "picker_items", "thumb_url"]


class FormError(Exception):
    """The form cannot be saved as sent; the message is already in the editor's language."""


def _urgency(raw: str, loc: DeskLocale) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 9:
        raise FormError(loc.gettext("Urgency must be a number from 1 (flash) to 9."))
    return int(raw)


def _embargo(raw: str, loc: DeskLocale) -> datetime | None:
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise FormError(loc.gettext("The embargo is not a date and time (for example 2026-12-01T09:00).")) from None
    # The form's datetime-local has no zone: the desk says it is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def item_fields(form: Mapping[str, Any], languages: list[str], loc: DeskLocale) -> ItemFields:
    """The compose form's values; FormError with the editor-facing reason when one is wrong."""
    language = str(form.get("language", "")).strip()
    if language not in languages:
        raise FormError(loc.gettext("Choose one of the agency's languages."))
    image = str(form.get("image", "")).strip().lower() or None
    media = tuple(dict.fromkeys(str(v).strip().lower() for v in form.getall("media", []) if str(v).strip())) \
        if hasattr(form, "getall") else ()
    subjects = tuple(dict.fromkeys(str(v) for v in form.getall("subject", []) if str(v).startswith("medtop:"))) \
        if hasattr(form, "getall") else ()
    return ItemFields(headline=str(form.get("headline", "")), summary=str(form.get("summary", "")),
                      body=str(form.get("body", "")).replace("\r\n", "\n"), language=language, subjects=subjects,
                      urgency=_urgency(str(form.get("urgency", "")), loc),
                      embargoed_until=_embargo(str(form.get("embargoed_until", "")), loc),
                      image=image, media=tuple(m for m in media if m != image))


async def apply_alt_texts(form: Mapping[str, Any], fields: ItemFields, loc: DeskLocale) -> None:
    """Store the alt texts and captions typed for the item's media (in the item's language) in the stock;
    FormError when an attached image would have no alt text (nothing is stored then)."""
    hashes = [h for h in ([fields.image] if fields.image else []) + list(fields.media) if h]
    items = {i.sha256: i for i in await MediaItem.filter(sha256__in=hashes)}
    changes: dict[str, dict[str, Any]] = {}
    for sha in hashes:
        item = items.get(sha)
        if item is None:
            raise FormError(loc.gettext("A chosen media item is no longer in the stock."))
        alt = str(form.get(f"alt.{sha}", "")).strip()
        caption = str(form.get(f"caption.{sha}", "")).strip()
        if item.kind == "image" and not alt and not any(item.alt.values()):
            raise FormError(loc.gettext("Every image needs alt text (what it shows, for readers who cannot see "
                                        "it). Add it and save again; nothing was saved."))
        change: dict[str, Any] = {}
        if alt and alt != item.alt.get(fields.language):
            change["alt"] = {fields.language: alt[:1500]}
        if f"caption.{sha}" in form and caption != item.caption.get(fields.language, ""):
            change["caption"] = {fields.language: caption[:3000]}
        if change:
            changes[sha] = change
    for sha, change in changes.items():
        await stock.change_item(sha, change)


def draft_message(exc: DraftError, loc: DeskLocale) -> str:
    """The sentence a refused desk change shows, in the editor's language."""
    p = exc.params
    if exc.code == "locked":
        return loc.gettext("%(user)s is editing this item (locked since %(since)s). Nothing was changed; try "
                           "again when they are done.", user=p.get("user", ""), since=loc.datetime(p.get("since")))
    if exc.code == "stale":
        return loc.gettext("%(user)s saved this item (version %(current)s) after you opened version %(yours)s. "
                           "Your changes were not saved and nothing was overwritten: copy what you wrote, reload "
                           "and apply it again.", user=p.get("user", ""), current=p.get("current", ""),
                           yours=p.get("yours", ""))
    if exc.code == "spiked":
        return loc.gettext("This item is spiked. Unspike it to work on it again.")
    if exc.code == "not_ready":
        return loc.gettext("Only an item marked ready can be published.")
    if exc.code == "no_headline":
        return loc.gettext("The story needs a headline.")
    if exc.code == "no_reason":
        return loc.gettext("Say why the story is killed: followers will see the reason.")
    if exc.code == "not_found":
        return loc.gettext("There is no such item.")
    return loc.gettext("This change is not possible at this stage.")


async def audience(username: str) -> tuple[int, int]:
    """How many accepted followers the agency has, and on how many servers."""
    hosts = await RemoteActor.filter(follows_us__local=username, follows_us__state="accepted",
                                     deleted_at=None).values_list("host", flat=True)
    return len(hosts), len(set(hosts))


def thumb_url(base_url: str, item: MediaItem) -> str:
    """A small picture of a stock item for the picker (its thumb rendition, else the file)."""
    names = sorted(item.renditions or {})
    thumb = next((n for n in names if n.startswith("thumb") and n.endswith(".jpg")), None) or next(
        (n for n in names if n.startswith("thumb") or n.startswith("poster")), None)
    return stock.file_url(base_url, item.sha256, thumb)


async def picker_items(base_url: str, chosen: list[str], language: str, limit: int = 24) -> list[dict[str, Any]]:
    """The media picker: the chosen items first, then the stock's newest, each with its thumbnail and the alt
    text and caption in the item's language."""
    recent = await stock.list_items(limit=limit)
    chosen_rows = {i.sha256: i for i in await MediaItem.filter(sha256__in=chosen)}
    ordered = [chosen_rows[h] for h in chosen if h in chosen_rows] + [i for i in recent if i.sha256 not in chosen]
    return [{"sha256": i.sha256, "kind": i.kind, "thumb": thumb_url(base_url, i),
             "alt": i.alt.get(language) or next(iter(i.alt.values()), ""),
             "caption": i.caption.get(language, ""), "filename": i.filename or i.sha256[:12],
             "created": i.created_at} for i in ordered]
