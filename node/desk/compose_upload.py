"""The compose form's new file: put in the stock and attached to the item, the lead image when it has none.

With the page's script the file has already gone to the stock through the editor API (POST /api/media, streamed)
and the form only names it (`uploaded`); without it the form carries the file itself (`upload`, small files: the
desk's form size limit). An image is refused without alt text either way."""

from __future__ import annotations

from typing import Any, AsyncIterator, Mapping

from aiohttp import web

from node.desk.compose_form import FormError
from node.desk.render import locale_of
from node.media import stock
from node.media.models import MediaItem
from node.stories import drafts
from node.web.keys import NODE
from schemas.media import media_input

__all__ = ["attach_upload"]


async def attach_upload(request: web.Request, form: Mapping[str, Any], fields: drafts.ItemFields
                        ) -> drafts.ItemFields:
    """The file chosen in the form, into the stock and onto the item (lead image when it has none); refused
    without alt text for an image."""
    node = request.app[NODE]
    loc = locale_of(request)
    uploaded = str(form.get("uploaded", "")).strip().lower()
    if uploaded:  # sent to the stock by the page's script (POST /api/media): attach it
        item = await MediaItem.get_or_none(sha256=uploaded)
        if item is None:
            raise FormError(loc.gettext("A chosen media item is no longer in the stock."))
        if item.kind == "image" and not any(item.alt.values()):
            raise FormError(loc.gettext("Write the alt text of the new image (what it shows, for readers who "
                                        "cannot see it) before uploading it. The image was not uploaded."))
        return _attach(fields, item, str(form.get("upload_as", "lead")))
    upload = form.get("upload")
    if upload is None or not hasattr(upload, "file") or not getattr(upload, "filename", ""):
        return fields
    alt = str(form.get("upload_alt", "")).strip()
    kind = str(getattr(upload, "content_type", "") or "")
    if kind.startswith("image/") and not alt:
        raise FormError(loc.gettext("Write the alt text of the new image (what it shows, for readers who cannot "
                                    "see it) before uploading it. The image was not uploaded."))
    raw = {"language": fields.language}
    if alt:
        raw["alt"] = alt
    if str(form.get("upload_caption", "")).strip():
        raw["caption"] = str(form.get("upload_caption", "")).strip()
    try:
        media_fields = media_input(raw, default_language=fields.language)
    except Exception:  # marshmallow ValidationError: too long or bad text
        raise FormError(loc.gettext("The alt text or caption of the new file is not acceptable.")) from None

    async def chunks() -> AsyncIterator[bytes]:
        while block := upload.file.read(256 * 1024):
            yield block

    try:
        item, _ = await stock.add(node.media_store, chunks(), media_fields,
                                  limits=stock.limits_of(node.config.media), filename=upload.filename,
                                  credentials=node.c2pa_credentials)
    except stock.MediaError as exc:
        raise FormError(loc.gettext("The file was refused: %(reason)s", reason=exc.detail or exc.title)) from None
    if item.kind == "image" and not any(item.alt.values()):
        await stock.change_item(item.sha256, {"alt": {fields.language: alt}})
    return _attach(fields, item, str(form.get("upload_as", "lead")))


def _attach(fields: drafts.ItemFields, item: MediaItem, upload_as: str) -> drafts.ItemFields:
    """The fields with a new stock item attached: as the lead image when the story has none, else after the
    other media."""
    if item.sha256 in (fields.image, *fields.media):
        return fields
    if not fields.image and item.kind == "image" and upload_as == "lead":
        return drafts.ItemFields(**{**fields.__dict__, "image": item.sha256})
    return drafts.ItemFields(**{**fields.__dict__, "media": (*fields.media, item.sha256)})
