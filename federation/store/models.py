"""The engine's own tables: remote actors, follow relations, the outbox and its deliveries, host health and the
inbox log. Tortoise app label ``federation``; schema changes go through `federation.store.migrations`.

The rows are the only truth: workers claim them with conditional UPDATEs, so a crash or restart loses nothing.
State names and allowed edges are declared in `federation.states`. The engine never knows the application's
tables: an outbox activity carries an opaque `subject_id` the application sets (the newsroom's story id).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index

from federation.store.base import Model  # tortoise's, without reading our source (see there)

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
        "federation.RemoteActor", related_name="follows_us", on_delete=fields.CASCADE, db_index=True
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
        "federation.RemoteActor", related_name="followed_by_us", on_delete=fields.CASCADE, db_index=True
    )
    local = fields.CharField(max_length=64)
    state = fields.CharField(max_length=16)  # pending | accepted | rejected
    follow_activity_id = fields.CharField(max_length=512, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "following"
        unique_together = (("actor", "local"),)


class OutboxActivity(Model):
    """An activity one of our actors sent. `body` is the serialised JSON, made once and sent to every inbox."""

    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    activity_id = fields.CharField(max_length=512, unique=True)
    actor = fields.CharField(max_length=64)  # local username that sent it
    type = fields.CharField(max_length=32)
    # What the activity is about, in the application's terms (the newsroom's story id), so that it can find and
    # cancel an activity's deliveries. Kept in the column `story_id` that databases made before the engine had
    # tables of its own already have (there it still carries a foreign key to `story`; harmless).
    subject_id = fields.IntField(null=True, db_index=True, source_field="story_id")
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
        "federation.OutboxActivity", related_name="deliveries", on_delete=fields.CASCADE, db_index=True
    )
    inbox = fields.CharField(max_length=512)
    host = fields.CharField(max_length=255, db_index=True)
    state = fields.CharField(max_length=16, default="queued", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    locked_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=36, null=True, db_index=True)
    # The run id of the process holding the claim, and when it last said it is alive (`federation.queue`).
    claim_owner = fields.CharField(max_length=36, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    last_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery"
        unique_together = (("activity", "inbox"),)
        # The claim walks the due rows of one state in order (`federation.claims`): without it, every claim read and
        # sorted the whole backlog (migration 0004).
        indexes = (Index(fields=("state", "next_attempt_at"), name="delivery_state_due"),)


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
    # The run id of the process holding the claim, and when it last said it is alive (`federation.queue`).
    claim_owner = fields.CharField(max_length=36, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    note = fields.CharField(max_length=300, null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_item"
        indexes = (Index(fields=("state", "next_attempt_at"), name="inbox_item_state_due"),)  # as Delivery's


class FanoutExpansion(Model):
    """An activity still to be turned into delivery rows for every follower of `local` (two-stage fan-out).

    Written in the publishing transaction instead of the rows themselves; a worker turns followers into rows in
    batches (`federation.expansion`), each batch in one transaction with the move of `after_follower` (the id of
    the last follower done), so a crash resumes where the last committed batch ended."""

    id = fields.IntField(primary_key=True)
    activity: fields.ForeignKeyRelation[OutboxActivity] = fields.ForeignKeyField(
        "federation.OutboxActivity", related_name="expansions", on_delete=fields.CASCADE, db_index=True
    )
    local = fields.CharField(max_length=64)  # whose followers
    state = fields.CharField(max_length=16, default="expanding", db_index=True)  # federation.states
    after_follower = fields.IntField(default=0)
    rows = fields.IntField(default=0)  # inboxes handed to the queue so far (a batch done twice counts twice)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "fanout_expansion"


# Listed so that tortoise registers exactly these models in this module's app.
__models__ = [RemoteActor, Follower, Following, OutboxActivity, Delivery, HostHealth, InboxItem, FanoutExpansion]
