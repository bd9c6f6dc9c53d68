"""Fact-checks: our own, their translations, the ones partners sent us, endorsements, and the matches kept with
wire stories."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)


class FactCheck(Model):
    """A fact-check this agency published. Its public URL is ``/factchecks/<uuid>``."""

    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=36, unique=True)
    claim_text = fields.TextField()
    claim_language = fields.CharField(max_length=35)
    claim_urls = fields.JSONField(default=list)
    claim_accounts = fields.JSONField(default=list)
    claim_first_seen = fields.DateField(null=True)
    claim_media = fields.JSONField(default=list)  # stock SHA-256s of the claim's own media (screenshots...)
    verdict = fields.CharField(max_length=20)  # schemas.factcheck.VERDICTS
    language = fields.CharField(max_length=35)  # the language of the original explanation
    explanation = fields.JSONField()  # BCP 47 tag -> text, as the editor wrote them (the original first)
    evidence = fields.JSONField(default=list)  # evidence links
    media = fields.JSONField(null=True)  # evidence media from the stock (`node.media.stock.story_media`)
    urgency = fields.IntField(null=True)
    urgent = fields.BooleanField(default=False)
    state = fields.CharField(max_length=16, default="published")  # published | withdrawn
    version = fields.IntField(default=1)
    correction_note = fields.TextField(default="")
    published_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)
    withdraw_reason = fields.TextField(null=True)

    class Meta:
        table = "factcheck"


class FactCheckTranslation(Model):
    """The claim and explanation of one of our fact-checks in another language, sent once approved."""

    id = fields.IntField(primary_key=True)
    factcheck: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.FactCheck", related_name="translations", on_delete=fields.CASCADE, db_index=True)
    language = fields.CharField(max_length=35)
    claim_text = fields.TextField()
    explanation = fields.TextField()
    status = fields.CharField(max_length=16, default="pending")  # pending | approved | rejected
    translator = fields.CharField(max_length=200, default="")
    reviewer = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "factcheck_translation"
        unique_together = (("factcheck", "language"),)


class WireFactCheck(Model):
    """A fact-check received from a partner agency (the Article as received, sanitized, and its claim fields)."""

    id = fields.IntField(primary_key=True)
    uri = fields.CharField(max_length=512, unique=True)
    actor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "federation.RemoteActor", related_name="wire_factchecks", on_delete=fields.CASCADE, db_index=True)
    verdict = fields.CharField(max_length=20)
    claim_text = fields.TextField(default="")
    claim_language = fields.CharField(max_length=35, default="")
    claims = fields.JSONField(default=dict)  # language -> claim text
    explanations = fields.JSONField(default=dict)  # language -> explanation
    claim_urls = fields.JSONField(default=list)
    headline = fields.TextField(default="")
    url = fields.CharField(max_length=1024, default="")
    urgency = fields.IntField(null=True)
    object = fields.JSONField()
    state = fields.CharField(max_length=16, default="live")  # live | withdrawn
    proof_status = fields.CharField(max_length=16, default="")
    proof_key_id = fields.CharField(max_length=512, default="")
    revision = fields.IntField(null=True)
    published_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    withdrawn_at = fields.DatetimeField(null=True)
    withdraw_reason = fields.TextField(null=True)

    class Meta:
        table = "wire_factcheck"


class Endorsement(Model):
    """A partner agency (or we) vouching for a fact-check, by its signed `Endorse` activity."""

    id = fields.IntField(primary_key=True)
    activity_id = fields.CharField(max_length=512, unique=True)
    factcheck_uri = fields.CharField(max_length=512, db_index=True)
    actor_uri = fields.CharField(max_length=512)
    actor_name = fields.CharField(max_length=300, default="")
    proof_key_id = fields.CharField(max_length=512, default="")
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "factcheck_endorsement"
        unique_together = (("factcheck_uri", "actor_uri"),)


class WireStoryMatch(Model):
    """A fact-check that an incoming wire story matched (by a link or by its text), kept with the story."""

    id = fields.IntField(primary_key=True)
    wire_story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.WireStory", related_name="factcheck_matches", on_delete=fields.CASCADE, db_index=True)
    factcheck_uri = fields.CharField(max_length=512)
    how = fields.CharField(max_length=8)  # url | text
    score = fields.FloatField(default=1.0)
    matched = fields.TextField(default="")  # the URL, or the language whose claim text matched
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wire_story_factcheck_match"
        unique_together = (("wire_story", "factcheck_uri"),)


class FactCheckActivity(Model):
    """An outbox activity (Create, Update, Delete) that carried one of our fact-checks: a withdrawal cancels the
    deliveries of the earlier ones that have not gone out (`federation.store.models.OutboxActivity.subject_id`
    names stories only)."""

    id = fields.IntField(primary_key=True)
    factcheck: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.FactCheck", related_name="activities", on_delete=fields.CASCADE, db_index=True)
    activity_id = fields.IntField(db_index=True)  # federation's outbox_activity.id (the engine's table: no key)

    class Meta:
        table = "factcheck_activity"


class StoryMatch(Model):
    """A fact-check that one of our own stories matched when it was published or changed (by a link or by its
    text), kept with the story as `WireStoryMatch` is with a wire story."""

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Story", related_name="factcheck_matches", on_delete=fields.CASCADE, db_index=True)
    factcheck_uri = fields.CharField(max_length=512)
    how = fields.CharField(max_length=8)  # url | text
    score = fields.FloatField(default=1.0)
    matched = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "story_factcheck_match"
        unique_together = (("story", "factcheck_uri"),)


# Listed so that tortoise registers exactly these models in this module's app.
__models__ = [FactCheck, FactCheckTranslation, WireFactCheck, Endorsement, WireStoryMatch, FactCheckActivity,
              StoryMatch]
