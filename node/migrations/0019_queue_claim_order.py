"""The newsroom's queues (machine translation jobs, wire media fetches) in claiming order: an index on
(state, next_attempt_at), as the engine's queues got in federation 0004. A claim takes the oldest due rows of a
state (`federation.claims`); without it, each claim read every waiting row and sorted them, a cost that grew
with the backlog (a wire full of photos queues thousands of fetches)."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0018_expansion_notify')]

    initial = False

    operations = [
        ops.AddIndex(model_name='TranslationJob',
                     index=Index(fields=("state", "next_attempt_at"), name="translation_job_state_due")),
        ops.AddIndex(model_name='WireMedia',
                     index=Index(fields=("state", "next_attempt_at"), name="wire_media_state_due")),
    ]
