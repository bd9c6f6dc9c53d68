"""Desk items: the working copy of a story before (and while) it goes out, moved through the agency's stages."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)

# The stages of a desk item (Superdesk's working -> submitted -> ready, AP and Reuters alike). `spiked` is a
# reversible discard: the item remembers the stage it was spiked from.
STAGES = ("draft", "review", "ready", "published", "spiked")


class DeskItem(Model):
    """One item on the desk: what an editor writes (Markdown), its stage, its lock and who touched it last.

    `version` counts saves: a save names the version it was made from and is refused when another save came in
    between (nothing is overwritten). The lock says who is editing now and until when it holds."""

    id = fields.IntField(primary_key=True)
    headline = fields.CharField(max_length=500, default="")
    summary = fields.TextField(default="")
    body = fields.TextField(default="")  # rendered by the same renderer publishing uses
    # Markdown for what the desk writes; "html" for the working copy of a story published as HTML (the API, a
    # ninjs import), so that correcting it never turns its markup into visible text.
    body_format = fields.CharField(max_length=16, default="markdown")
    language = fields.CharField(max_length=35)
    subjects = fields.JSONField(default=list)  # ["medtop:..."]
    urgency = fields.IntField(null=True)
    embargoed_until = fields.DatetimeField(null=True)
    image = fields.CharField(max_length=64, null=True)  # the lead image's SHA-256 in the stock
    media = fields.JSONField(default=list)  # the other media's SHA-256s, in order
    stage = fields.CharField(max_length=16, default="draft", db_index=True)
    spiked_from = fields.CharField(max_length=16, default="")
    # The published story this item became (or is the working copy of, for corrections).
    story: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Story", related_name="desk_items", null=True, on_delete=fields.SET_NULL, db_index=True)
    # A developing story's thread: the URI of its first story (AS2 `context` of every update).
    thread_uri = fields.CharField(max_length=512, default="", db_index=True)
    from_wire = fields.IntField(null=True)  # the wire story it was started from
    created_by = fields.CharField(max_length=64)
    changed_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    changed_at = fields.DatetimeField()
    version = fields.IntField(default=1)
    locked_by = fields.CharField(max_length=64, default="")
    locked_at = fields.DatetimeField(null=True)
    lock_expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "desk_item"


__models__ = [DeskItem]
