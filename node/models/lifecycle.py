"""Stored life of a story: every revision of our own stories, and the revisions of wire stories we have seen."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StoryRevision(Model):
    """One stored revision of one of our stories: revision 1 is the first publication, each change adds one."""

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Story", related_name="revisions", on_delete=fields.CASCADE, db_index=True
    )
    number = fields.IntField()
    content_hash = fields.CharField(max_length=80)  # "sha256:" + hex of the canonical JSON of `snapshot`
    snapshot = fields.JSONField()  # the story's fields as this revision left them
    correction = fields.BooleanField(default=False)
    correction_note = fields.JSONField(default=dict)  # BCP 47 language -> note text
    created_at = fields.DatetimeField()

    class Meta:
        table = "story_revision"
        unique_together = (("story", "number"),)


class WireRevision(Model):
    """A revision of a wire story as this node received it (the history it has seen, not the origin's)."""

    id = fields.IntField(primary_key=True)
    wire_story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="revisions", on_delete=fields.CASCADE, db_index=True
    )
    number = fields.IntField()
    content_hash = fields.CharField(max_length=80, default="")
    headline = fields.TextField(default="")
    correction = fields.BooleanField(default=False)
    correction_note = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(null=True)  # the object's `updated` (or `published` for revision 1)
    received_at = fields.DatetimeField(auto_now_add=True)
    # The proof verdict this revision arrived with (federation/provenance.py statuses) and the key that made it:
    # the story's current verdict is in WireProof; these keep the history (e.g. across a key rotation).
    proof_status = fields.CharField(max_length=16, default="", db_default="")
    proof_key_id = fields.CharField(max_length=512, default="", db_default="")

    class Meta:
        table = "wire_revision"
        unique_together = (("wire_story", "number"),)
