"""Stored actors: our own key pairs, cached remote actors, and the follow relations between them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ActorKey(Model):
    """A key pair of one of our local actors (the agency, the instance actor). Generated once, kept forever."""

    id = fields.IntField(primary_key=True)
    actor = fields.CharField(max_length=64, unique=True)  # local username, e.g. "baku" or "instance"
    private_key_pem = fields.TextField()
    public_key_pem = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "actor_key"


class RemoteActor(Model):
    """A remote actor as last fetched: enough to deliver to it and verify its signatures."""

    id = fields.IntField(primary_key=True)
    uri = fields.CharField(max_length=512, unique=True)
    host = fields.CharField(max_length=255, db_index=True)
    type = fields.CharField(max_length=32, default="Person")
    preferred_username = fields.CharField(max_length=255, default="")
    name = fields.CharField(max_length=512, default="")
    summary = fields.TextField(default="")
    url = fields.CharField(max_length=512, default="")
    icon_url = fields.CharField(max_length=512, default="")
    inbox = fields.CharField(max_length=512)
    shared_inbox = fields.CharField(max_length=512, null=True)
    key_id = fields.CharField(max_length=512, null=True, db_index=True)
    public_key_pem = fields.TextField(null=True)
    document = fields.JSONField(default=dict)  # the actor document as fetched
    fetched_at = fields.DatetimeField()
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "remote_actor"

    @property
    def handle(self) -> str:
        """acct-style handle for display, e.g. ``ankara@news.example``."""
        return f"{self.preferred_username or '?'}@{self.host}"

    @property
    def delivery_inbox(self) -> str:
        """Where fan-out goes: the shared inbox when the actor has one (one POST per host), else its own."""
        return self.shared_inbox or self.inbox


class Follower(Model):
    """A remote actor that follows (or asked to follow) one of our actors."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyRelation[RemoteActor] = fields.ForeignKeyField(
        "models.RemoteActor", related_name="follows_us", on_delete=fields.CASCADE, db_index=True
    )
    local = fields.CharField(max_length=64)
    state = fields.CharField(max_length=16)  # pending | accepted | rejected
    follow_activity_id = fields.CharField(max_length=512)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "follower"
        unique_together = (("actor", "local"),)


class Following(Model):
    """One of our actors follows (or asked to follow) a remote actor."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyRelation[RemoteActor] = fields.ForeignKeyField(
        "models.RemoteActor", related_name="followed_by_us", on_delete=fields.CASCADE, db_index=True
    )
    local = fields.CharField(max_length=64)
    state = fields.CharField(max_length=16)  # pending | accepted | rejected
    follow_activity_id = fields.CharField(max_length=512, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "following"
        unique_together = (("actor", "local"),)
