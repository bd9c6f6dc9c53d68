"""Translations: of our stories (reviewed), of wire stories, offers between agencies, machine jobs."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index

from federation.store.base import Model  # tortoise's, without reading our source (see there)

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
        "federation.RemoteActor", related_name="translation_offers", on_delete=fields.CASCADE, db_index=True)
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
        # Claimed oldest due first along it (`federation.claims`), as the engine's queues (migration 0019).
        indexes = (Index(fields=("state", "next_attempt_at"), name="translation_job_state_due"),)


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


# Listed so that tortoise registers exactly these models in this module's app.
__models__ = [StoryTranslation, TranslationDecision, WireTranslation, TranslationOffer, OfferedTranslation, TranslationJob, MachineReading]
