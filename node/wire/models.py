"""Stories received from other agencies (the wire), their revisions, boosts and proof verdicts."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)

class WireStory(Model):
    """A story received from another agency, stored as the incoming wire object (sanitized)."""

    id = fields.IntField(primary_key=True)
    uri = fields.CharField(max_length=512, unique=True)
    actor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "federation.RemoteActor", related_name="wire_stories", on_delete=fields.CASCADE, db_index=True
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
    # The story thread it belongs to (migration 0013, node/wire/threads.py): the URI of the thread's first story,
    # from the object's AS2 `context`, or its own URI when it starts a thread. Rewrites share their first's.
    thread = fields.CharField(max_length=512, default="", db_default="", db_index=True)

    class Meta:
        table = "wire_story"


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


class Boost(Model):
    """An Announce of a story by an actor we follow."""

    id = fields.IntField(primary_key=True)
    activity_id = fields.CharField(max_length=512, unique=True)
    actor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "federation.RemoteActor", related_name="boosts", on_delete=fields.CASCADE, db_index=True
    )
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="boosts", on_delete=fields.CASCADE, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "boost"


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


class WireTopic(Model):
    """One IPTC Media Topic of a wire story (an index of `WireStory.subjects`, for the desk's topic filter)."""

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="topics", on_delete=fields.CASCADE, db_index=True)
    code = fields.CharField(max_length=20, db_index=True)  # medtop:NNNNNNNN
    name = fields.CharField(max_length=200, default="")   # as the origin named it

    class Meta:
        table = "wire_topic"
        unique_together = (("story", "code"),)


# Listed so that tortoise registers exactly these models in this module's app.
__models__ = [WireStory, WireRevision, Boost, WireProof, WireTopic]
