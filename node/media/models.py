"""The media stock's table: one row per file (photo, video, audio, document), own or received from a partner."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)
from node.media.search_index import keep_in_step

class MediaItem(Model):
    """A file in the stock, named by the SHA-256 of its bytes (stored once, `node.media.storage`)."""

    id = fields.IntField(primary_key=True)
    sha256 = fields.CharField(max_length=64, unique=True)
    kind = fields.CharField(max_length=16, db_index=True)  # image | video | audio | document
    media_type = fields.CharField(max_length=100)          # found from the bytes, never from the name
    size = fields.BigIntField()
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    duration = fields.FloatField(null=True)                 # seconds, video and audio
    alt = fields.JSONField(default=dict)                    # {language: alt text}
    caption = fields.JSONField(default=dict)                # {language: caption}
    credit = fields.CharField(max_length=500, default="")  # byline / credit line
    copyright = fields.CharField(max_length=500, default="")
    usage_terms = fields.TextField(default="")
    # IPTC Digital Source Type (https://cv.iptc.org/newscodes/digitalsourcetype/), e.g. digitalCapture.
    digital_source_type = fields.CharField(max_length=255, default="")
    filename = fields.CharField(max_length=255, default="")  # the uploader's name, cleaned, for downloads
    # Images: Mastodon's loading placeholder, and the point to keep in crops (x, y in -1..1, Mastodon's way).
    blurhash = fields.CharField(max_length=100, default="")
    focal_point = fields.JSONField(null=True)
    # Derivatives made at upload, by name ("thumb.webp", "web.jpg", "poster.jpg"): {sha256, media_type, width,
    # height, size}; each is a file of the store like the item itself.
    renditions = fields.JSONField(default=dict)
    # The SHA-256 of the bytes as uploaded, when what the stock serves differs (location and device identifiers
    # removed from a photo); the same upload again finds the item by it.
    upload_sha256 = fields.CharField(max_length=64, default="", db_index=True)
    removed_metadata = fields.JSONField(default=list)  # what was removed from the upload, in words
    # Received from a partner: the agency and the item's URL there (empty for our own).
    origin_actor = fields.CharField(max_length=512, default="", db_index=True)
    origin_url = fields.CharField(max_length=1024, default="")
    # Images: the C2PA verdict on the stored file (`node.media.contentcred`): valid-trusted, valid-untrusted,
    # tampered, none or error, with the reason, the signer and the claim's actions. NULL: not an image, or stored
    # before C2PA checks.
    c2pa = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "media_item"
        table_description = "A file of the media stock (photo, video, audio, document), stored by its SHA-256."


# The full-text index (migration 0009) follows every save of an item, whoever saves it.
keep_in_step(MediaItem)

__models__ = [MediaItem]
