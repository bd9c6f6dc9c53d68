"""Stored queues: outgoing activities with one delivery row per target inbox, and the inbox of received activities.

The rows are the only truth: workers claim them with conditional UPDATEs, so a crash or restart loses nothing.
State names and allowed edges are declared in `federation.states`.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OutboxActivity(Model):
    """An activity one of our actors sent. `body` is the serialised JSON, made once and sent to every inbox."""

    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    activity_id = fields.CharField(max_length=512, unique=True)
    actor = fields.CharField(max_length=64)  # local username that sent it
    type = fields.CharField(max_length=32)
    story: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Story", related_name="activities", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    body = fields.TextField()
    digest = fields.CharField(max_length=100)
    public = fields.BooleanField(default=False)  # listed in the outbox collection
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "outbox_activity"


class Delivery(Model):
    """One activity to one inbox (after collapsing followers onto shared inboxes)."""

    id = fields.IntField(primary_key=True)
    activity: fields.ForeignKeyRelation[OutboxActivity] = fields.ForeignKeyField(
        "models.OutboxActivity", related_name="deliveries", on_delete=fields.CASCADE, db_index=True
    )
    inbox = fields.CharField(max_length=512)
    host = fields.CharField(max_length=255, db_index=True)
    state = fields.CharField(max_length=16, default="queued", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    locked_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=36, null=True, db_index=True)
    last_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery"
        unique_together = (("activity", "inbox"),)


class HostHealth(Model):
    """Circuit breaker per remote host: parked after repeated failures, revived when the host talks to us."""

    id = fields.IntField(primary_key=True)
    host = fields.CharField(max_length=255, unique=True)
    consecutive_failures = fields.IntField(default=0)
    parked = fields.BooleanField(default=False)
    last_failure_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)

    class Meta:
        table = "host_health"


class InboxItem(Model):
    """A verified activity received in an inbox, stored raw before any processing (deduplicated by id)."""

    id = fields.IntField(primary_key=True)
    activity_id = fields.CharField(max_length=512, unique=True)
    actor_uri = fields.CharField(max_length=512, db_index=True)
    type = fields.CharField(max_length=32)
    body = fields.TextField()  # the activity JSON exactly as received
    signature = fields.CharField(max_length=32)  # "draft-cavage" | "rfc9421"
    key_id = fields.CharField(max_length=512)
    state = fields.CharField(max_length=16, default="received", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    locked_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=36, null=True, db_index=True)
    note = fields.CharField(max_length=300, null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_item"
