"""The engine's tables, under the app label ``federation``.

Databases made before the engine had an app of its own (migrations ``models.0001``-``0006``, release 0.1) already
have these tables with these columns, made by ``models.0001_initial``: the application records this migration as
applied there before migrating (`node.db.adopt_engine_tables`), so it never runs on them. The outbox's
``story_id`` column is the engine's opaque ``subject_id`` (in old databases it keeps its foreign key to ``story``).
"""

from tortoise import migrations
from tortoise import fields
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from orjson import loads


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='HostHealth',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('host', fields.CharField(unique=True, max_length=255)),
                ('consecutive_failures', fields.IntField(default=0)),
                ('parked', fields.BooleanField(default=False)),
                ('last_failure_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'host_health', 'app': 'federation', 'pk_attr': 'id', 'table_description': 'Circuit breaker per remote host: parked after repeated failures, revived when the host talks to us.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboxItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity_id', fields.CharField(unique=True, max_length=512)),
                ('actor_uri', fields.CharField(db_index=True, max_length=512)),
                ('type', fields.CharField(max_length=32)),
                ('body', fields.TextField(unique=False)),
                ('signature', fields.CharField(max_length=32)),
                ('key_id', fields.CharField(max_length=512)),
                ('state', fields.CharField(default='received', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claim_token', fields.CharField(null=True, db_index=True, max_length=36)),
                ('note', fields.CharField(null=True, max_length=300)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inbox_item', 'app': 'federation', 'pk_attr': 'id', 'table_description': 'A verified activity received in an inbox, stored raw before any processing (deduplicated by id).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RemoteActor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=512)),
                ('host', fields.CharField(db_index=True, max_length=255)),
                ('type', fields.CharField(default='Person', max_length=32)),
                ('preferred_username', fields.CharField(default='', max_length=255)),
                ('name', fields.CharField(default='', max_length=512)),
                ('summary', fields.TextField(default='', unique=False)),
                ('url', fields.CharField(default='', max_length=512)),
                ('icon_url', fields.CharField(default='', max_length=512)),
                ('inbox', fields.CharField(max_length=512)),
                ('shared_inbox', fields.CharField(null=True, max_length=512)),
                ('key_id', fields.CharField(null=True, db_index=True, max_length=512)),
                ('public_key_pem', fields.TextField(null=True, unique=False)),
                ('document', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('fetched_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'remote_actor', 'app': 'federation', 'pk_attr': 'id', 'table_description': 'A remote actor as last fetched: enough to deliver to it and verify its signatures.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Follower',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('federation.RemoteActor', source_field='actor_id', db_index=True, db_constraint=True, to_field='id', related_name='follows_us', on_delete=OnDelete.CASCADE)),
                ('local', fields.CharField(max_length=64)),
                ('state', fields.CharField(max_length=16)),
                ('follow_activity_id', fields.CharField(max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'follower', 'app': 'federation', 'unique_together': (('actor', 'local'),), 'pk_attr': 'id', 'table_description': 'A remote actor that follows (or asked to follow) one of our actors.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Following',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('federation.RemoteActor', source_field='actor_id', db_index=True, db_constraint=True, to_field='id', related_name='followed_by_us', on_delete=OnDelete.CASCADE)),
                ('local', fields.CharField(max_length=64)),
                ('state', fields.CharField(max_length=16)),
                ('follow_activity_id', fields.CharField(unique=True, max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'following', 'app': 'federation', 'unique_together': (('actor', 'local'),), 'pk_attr': 'id', 'table_description': 'One of our actors follows (or asked to follow) a remote actor.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxActivity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uuid', fields.CharField(unique=True, max_length=36)),
                ('activity_id', fields.CharField(unique=True, max_length=512)),
                ('actor', fields.CharField(max_length=64)),
                ('type', fields.CharField(max_length=32)),
                ('subject_id', fields.IntField(null=True, db_index=True, source_field='story_id')),
                ('body', fields.TextField(unique=False)),
                ('digest', fields.CharField(max_length=100)),
                ('public', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox_activity', 'app': 'federation', 'pk_attr': 'id', 'table_description': 'An activity one of our actors sent. `body` is the serialised JSON, made once and sent to every inbox.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('federation.OutboxActivity', source_field='activity_id', db_index=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('inbox', fields.CharField(max_length=512)),
                ('host', fields.CharField(db_index=True, max_length=255)),
                ('state', fields.CharField(default='queued', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claim_token', fields.CharField(null=True, db_index=True, max_length=36)),
                ('last_status', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delivery', 'app': 'federation', 'unique_together': (('activity', 'inbox'),), 'pk_attr': 'id', 'table_description': 'One activity to one inbox (after collapsing followers onto shared inboxes).'},
            bases=['Model'],
        ),
    ]
