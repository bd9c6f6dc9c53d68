"""Two-stage fan-out: an activity for every follower is stored with one expansion row, which a worker turns into
delivery rows in batches (`federation.expansion`), instead of every row being written while publishing."""

from tortoise import migrations
from tortoise import fields
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete


class Migration(migrations.Migration):
    dependencies = [('federation', '0002_claim_heartbeat')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FanoutExpansion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('federation.OutboxActivity', source_field='activity_id',
                                                    db_index=True, db_constraint=True, to_field='id',
                                                    related_name='expansions', on_delete=OnDelete.CASCADE)),
                ('local', fields.CharField(max_length=64)),
                ('state', fields.CharField(default='expanding', db_index=True, max_length=16)),
                ('after_follower', fields.IntField(default=0)),
                ('rows', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'fanout_expansion', 'app': 'federation', 'pk_attr': 'id',
                     'table_description': 'An activity still to be turned into delivery rows for every follower '
                                          'of `local` (two-stage fan-out).'},
            bases=['Model'],
        ),
    ]
