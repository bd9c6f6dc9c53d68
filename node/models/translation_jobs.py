"""Stored machine-translation work: one job per (story, target language), and cached on-demand readings.

Jobs are queue rows like deliveries (states in `federation.states.TranslationJobState`, claimed with a token);
the translated text is kept on the row as soon as the engine gives it, so a failure to store it elsewhere
loses nothing.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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
