"""The agency's own stories and their stored revisions."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)

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
    # Its media from the stock (migration 0007), as published: a list of item descriptions, the lead image first
    # with "lead": true (`node.media.stock.story_media`); NULL on older rows and stories without media.
    media = fields.JSONField(null=True)
    # A developing story (migration 0013): the URI of the thread's first story, sent as AS2 `context` so that
    # readers group the alert, the updates and the rewrites; empty for a story that starts its own thread.
    context_uri = fields.CharField(max_length=512, default="", db_index=True)

    class Meta:
        table = "story"


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


# Listed so that tortoise registers exactly these models in this module's app.
__models__ = [Story, StoryRevision]
