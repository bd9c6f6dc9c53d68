"""The table of partners' media: one row per attachment of a received story, from its announcement on the wire to
the stock item it became (or the reason it did not)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index

from federation.store.base import Model  # tortoise's, without reading our source (see there)

__all__ = ["WireMedia"]


class WireMedia(Model):
    """One attachment of a wire story (the lead image marked), its fetch job and its verdict."""

    id = fields.IntField(primary_key=True)
    wire_story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="media", on_delete=fields.CASCADE, db_index=True)
    position = fields.IntField(default=0)                 # order in the story (the lead image first)
    lead = fields.BooleanField(default=False)
    url = fields.CharField(max_length=1024)
    kind = fields.CharField(max_length=16, default="")    # image | video | audio | document, as announced
    media_type = fields.CharField(max_length=100, default="")  # as announced (the bytes decide what is stored)
    description = fields.JSONField()                      # the attachment object as received
    expected_digest = fields.CharField(max_length=100, default="")  # its digestMultibase, as received
    expected_sha256 = fields.CharField(max_length=64, default="")   # the SHA-256 inside it (hex)
    # The fetch job (node/media/wire_states.py), claimed like a delivery (federation/queue.py).
    state = fields.CharField(max_length=16, default="waiting", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    queued_at = fields.DatetimeField()                    # start of the current retry horizon
    locked_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=36, null=True, db_index=True)
    last_error = fields.CharField(max_length=300, null=True)
    # What became of it: verified | mismatch | no-digest | too-large | refused | failed ("" until then).
    verdict = fields.CharField(max_length=16, default="", db_index=True)
    reason = fields.CharField(max_length=500, default="")
    actual_sha256 = fields.CharField(max_length=64, default="")  # of the bytes served (mismatch and stored)
    media_item: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.MediaItem", related_name="received_as", on_delete=fields.SET_NULL, null=True, db_index=True)
    settled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wire_media"
        table_description = "An attachment of a received story: its fetch into the stock and the digest verdict."
        unique_together = (("wire_story", "url"),)
        indexes = (Index(fields=("state", "next_attempt_at"), name="wire_media_state_due"),)  # as TranslationJob's


__models__ = [WireMedia]
