"""The storage models of the last release before the engine had tables of its own (0.1, migrations 0001-0006),
kept so that a test can make a database exactly as `agency-node init` made it then, and upgrade it."""
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


class ProofKey(Model):
    """A key of one of our local actors, current or retired.

    Ed25519 keys sign object proofs and are published as Multikeys in the actor's ``assertionMethod``; a retired
    one stays listed with ``expires`` so proofs made before its retirement still verify. Retired RSA keys are
    kept for the record (HTTP signatures are checked on receipt, so nobody needs them afterwards); the current
    RSA key lives in ``ActorKey``.
    """

    id = fields.IntField(primary_key=True)
    actor = fields.CharField(max_length=64, db_index=True)  # local username
    kind = fields.CharField(max_length=16)  # ed25519 | rsa
    key_id = fields.CharField(max_length=512, unique=True)
    private_key_pem = fields.TextField(null=True)
    public_key = fields.TextField()  # publicKeyMultibase (ed25519) or SubjectPublicKeyInfo PEM (rsa)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)  # null: the current key of its kind

    class Meta:
        table = "proof_key"


class WireProof(Model):
    """How a wire story's object integrity proof checked out when it arrived (or was last re-checked).

    ``signed_object`` is the object exactly as the origin signed it (before sanitizing), so that it can be
    re-verified and forwarded unaltered. ``status``: verified | unsigned | invalid | unknown-key.
    """

    id = fields.IntField(primary_key=True)
    story: fields.OneToOneRelation = fields.OneToOneField(
        "models.WireStory", related_name="proof", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16, db_index=True)
    code = fields.CharField(max_length=32, default="")
    reason = fields.CharField(max_length=300, default="")
    key_id = fields.CharField(max_length=512, default="")
    origin = fields.CharField(max_length=512, default="")  # the actor whose key the proof was checked against
    via = fields.CharField(max_length=512, default="")  # who handed us this copy (the origin, or a forwarder)
    signed_object = fields.JSONField(null=True)
    checked_at = fields.DatetimeField()

    class Meta:
        table = "wire_proof"


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


class TranslationJob(Model):
    """Translate one of our stories into one target language through the configured engine."""

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Story", related_name="translation_jobs", on_delete=fields.CASCADE, db_index=True
    )
    language = fields.CharField(max_length=35)  # the target, BCP 47
    source_language = fields.CharField(max_length=35)
    state = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    locked_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=36, null=True, db_index=True)
    engine = fields.CharField(max_length=64, default="")
    source_hash = fields.CharField(max_length=64, default="")  # of the text the result translates
    result = fields.JSONField(null=True)  # {"headline", "summary", "body_html"} once the engine answered
    last_error = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    queued_at = fields.DatetimeField()  # start of the current retry horizon (publish, update or requeue)
    translated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "translation_job"
        unique_together = (("story", "language"),)


class MachineReading(Model):
    """A wire story machine-translated for local reading only (never published), cached per source text."""

    id = fields.IntField(primary_key=True)
    wire_story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="machine_readings", on_delete=fields.CASCADE, db_index=True
    )
    language = fields.CharField(max_length=35)
    source_hash = fields.CharField(max_length=64)
    engine = fields.CharField(max_length=64)
    headline = fields.TextField(default="")
    summary = fields.TextField(default="")
    body_html = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "machine_reading"
        unique_together = (("wire_story", "language", "source_hash"),)


class StoryTranslation(Model):
    """One language of one of our stories other than its original language. Only `approved` ones go out."""

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Story", related_name="translations", on_delete=fields.CASCADE, db_index=True)
    language = fields.CharField(max_length=35)
    headline = fields.CharField(max_length=500)
    summary = fields.TextField(default="")
    body_html = fields.TextField()
    source_language = fields.CharField(max_length=35)
    # SHA-256 of the original's headline, summary and body this translation was made from: when the original
    # changes afterwards, the translation is shown as stale until someone edits it.
    source_digest = fields.CharField(max_length=64, default="")
    method = fields.CharField(max_length=32)  # machine | human | machine+human
    engine = fields.CharField(max_length=100, default="")
    translated_by = fields.CharField(max_length=512)  # the translating agency's actor URI
    translator = fields.CharField(max_length=200, default="")  # a person's name, when known
    reviewer = fields.CharField(max_length=200, default="")
    status = fields.CharField(max_length=16, db_index=True)  # draft | pending_review | approved | rejected
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField()
    approved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "story_translation"
        unique_together = (("story", "language"),)


class TranslationDecision(Model):
    """What happened to a translation and who did it: the review audit trail, never updated or deleted."""

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Story", related_name="translation_decisions", on_delete=fields.CASCADE, db_index=True)
    language = fields.CharField(max_length=35)
    action = fields.CharField(max_length=32)  # submitted | machine_added | edited | approved | rejected | ...
    actor = fields.CharField(max_length=200, default="")  # the editor, reviewer or agency that acted
    status_before = fields.CharField(max_length=16, default="")
    status_after = fields.CharField(max_length=16, default="")
    note = fields.CharField(max_length=1000, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "translation_decision"


class WireTranslation(Model):
    """One language of a wire story as its origin sent it (the original too), with the origin's provenance."""

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="translations", on_delete=fields.CASCADE, db_index=True)
    language = fields.CharField(max_length=35)
    headline = fields.TextField(default="")
    summary = fields.TextField(default="")
    content_html = fields.TextField(default="")
    kind = fields.CharField(max_length=16)  # original | translation
    source_language = fields.CharField(max_length=35, default="")
    method = fields.CharField(max_length=32, default="")
    engine = fields.CharField(max_length=100, default="")
    translated_by = fields.CharField(max_length=512, default="")
    translator = fields.CharField(max_length=200, default="")
    reviewed_by = fields.CharField(max_length=200, default="")
    updated = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wire_translation"
        unique_together = (("story", "language"),)


class TranslationOffer(Model):
    """A partner's translation of one of our stories, offered to us (an object of theirs linked to our story)."""

    id = fields.IntField(primary_key=True)
    object_uri = fields.CharField(max_length=512, unique=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Story", related_name="offers", on_delete=fields.CASCADE, db_index=True)
    actor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.RemoteActor", related_name="translation_offers", on_delete=fields.CASCADE, db_index=True)
    language = fields.CharField(max_length=35)
    headline = fields.CharField(max_length=500)
    summary = fields.TextField(default="")
    body_html = fields.TextField()
    method = fields.CharField(max_length=32, default="human")
    engine = fields.CharField(max_length=100, default="")
    translator = fields.CharField(max_length=200, default="")
    state = fields.CharField(max_length=16, default="offered", db_index=True)  # offered | accepted | declined
    received_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.CharField(max_length=200, default="")

    class Meta:
        table = "translation_offer"


class OfferedTranslation(Model):
    """Our translation of a partner's story, published as our own object and offered to its origin."""

    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    wire_story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="offered_translations", on_delete=fields.CASCADE, db_index=True)
    language = fields.CharField(max_length=35)
    headline = fields.CharField(max_length=500)
    summary = fields.TextField(default="")
    body_html = fields.TextField()
    source_language = fields.CharField(max_length=35)
    method = fields.CharField(max_length=32, default="human")
    engine = fields.CharField(max_length=100, default="")
    translator = fields.CharField(max_length=200, default="")
    state = fields.CharField(max_length=16, default="offered")  # offered | accepted | declined
    note = fields.CharField(max_length=1000, default="")  # the origin's reason, when it gave one
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "offered_translation"
        unique_together = (("wire_story", "language"),)
