"""Stored stories: our own (published here) and the wire (received from agencies we follow)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Story(Model):
    """A story this agency published. Its public URL is ``/stories/<uuid>``."""

    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    headline = fields.CharField(max_length=500)
    summary = fields.TextField(default="")
    body_html = fields.TextField()
    language = fields.CharField(max_length=35)
    hashtags = fields.JSONField(default=list)
    canonical_url = fields.CharField(max_length=1024, null=True)
    state = fields.CharField(max_length=16, default="published")  # published | scheduled | deleted
    version = fields.IntField(default=1)
    published_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    # Life of a story (migration 0005): IPTC urgency 1-9, Media Topic subjects, embargo, kill reason.
    urgency = fields.IntField(null=True)
    subjects = fields.JSONField(null=True, default=list)  # [{"code": "medtop:...", "name": "..."}]; NULL on old rows
    embargoed_until = fields.DatetimeField(null=True, db_index=True)
    kill_reason = fields.TextField(null=True)
    import_uri = fields.CharField(max_length=512, null=True, unique=True)  # the ninjs `uri` it was imported from

    class Meta:
        table = "story"


class WireStory(Model):
    """A story received from another agency, stored as the incoming wire object (sanitized)."""

    id = fields.IntField(primary_key=True)
    uri = fields.CharField(max_length=512, unique=True)
    actor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.RemoteActor", related_name="wire_stories", on_delete=fields.CASCADE, db_index=True
    )
    type = fields.CharField(max_length=32)
    language = fields.CharField(max_length=35, default="", db_index=True)
    headline = fields.TextField(default="")
    summary = fields.TextField(default="")
    content_html = fields.TextField(default="")
    url = fields.CharField(max_length=1024, default="")
    object = fields.JSONField()  # the object as received, with its HTML sanitized
    state = fields.CharField(max_length=16, default="live")  # live | deleted
    signature = fields.CharField(max_length=32, default="")  # how the delivering request was verified
    published_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    deleted_at = fields.DatetimeField(null=True)
    # Life of a story (migration 0005). state is then live | deleted | killed.
    revision = fields.IntField(null=True)
    urgency = fields.IntField(null=True)
    subjects = fields.JSONField(null=True, default=list)
    embargoed_until = fields.DatetimeField(null=True)
    kill_reason = fields.TextField(null=True)

    class Meta:
        table = "wire_story"


class Boost(Model):
    """An Announce of a story by an actor we follow."""

    id = fields.IntField(primary_key=True)
    activity_id = fields.CharField(max_length=512, unique=True)
    actor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.RemoteActor", related_name="boosts", on_delete=fields.CASCADE, db_index=True
    )
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="boosts", on_delete=fields.CASCADE, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "boost"
