from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete


def _id() -> fields.IntField:
    return fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)


class Migration(migrations.Migration):
    """Fact-checks (node/factchecks/): ours and their translations, partners' received ones, endorsements, and the
    fact-checks each wire story matched."""

    dependencies = [('models', '0013_desk_items')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FactCheck',
            fields=[
                ('id', _id()),
                ('uuid', fields.CharField(unique=True, max_length=36)),
                ('claim_text', fields.TextField()),
                ('claim_language', fields.CharField(max_length=35)),
                ('claim_urls', fields.JSONField(default=list)),
                ('claim_accounts', fields.JSONField(default=list)),
                ('claim_first_seen', fields.DateField(null=True)),
                ('claim_media', fields.JSONField(default=list)),
                ('verdict', fields.CharField(max_length=20)),
                ('language', fields.CharField(max_length=35)),
                ('explanation', fields.JSONField()),
                ('evidence', fields.JSONField(default=list)),
                ('media', fields.JSONField(null=True)),
                ('urgency', fields.IntField(null=True)),
                ('urgent', fields.BooleanField(default=False)),
                ('state', fields.CharField(default='published', max_length=16)),
                ('version', fields.IntField(default=1)),
                ('correction_note', fields.TextField(default='')),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdraw_reason', fields.TextField(null=True)),
            ],
            options={'table': 'factcheck', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'A fact-check this agency published. Its public URL is ``/factchecks/<uuid>``.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FactCheckTranslation',
            fields=[
                ('id', _id()),
                ('factcheck', fields.ForeignKeyField('models.FactCheck', source_field='factcheck_id', db_index=True,
                                                     db_constraint=True, to_field='id', related_name='translations',
                                                     on_delete=OnDelete.CASCADE)),
                ('language', fields.CharField(max_length=35)),
                ('claim_text', fields.TextField()),
                ('explanation', fields.TextField()),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('translator', fields.CharField(default='', max_length=200)),
                ('reviewer', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'factcheck_translation', 'app': 'models', 'unique_together': (('factcheck', 'language'),),
                     'pk_attr': 'id',
                     'table_description': 'The claim and explanation of one of our fact-checks in another language, sent once approved.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WireFactCheck',
            fields=[
                ('id', _id()),
                ('uri', fields.CharField(unique=True, max_length=512)),
                ('actor', fields.ForeignKeyField('federation.RemoteActor', source_field='actor_id', db_index=True,
                                                 db_constraint=True, to_field='id', related_name='wire_factchecks',
                                                 on_delete=OnDelete.CASCADE)),
                ('verdict', fields.CharField(max_length=20)),
                ('claim_text', fields.TextField(default='')),
                ('claim_language', fields.CharField(default='', max_length=35)),
                ('claims', fields.JSONField(default=dict)),
                ('explanations', fields.JSONField(default=dict)),
                ('claim_urls', fields.JSONField(default=list)),
                ('headline', fields.TextField(default='')),
                ('url', fields.CharField(default='', max_length=1024)),
                ('urgency', fields.IntField(null=True)),
                ('object', fields.JSONField()),
                ('state', fields.CharField(default='live', max_length=16)),
                ('proof_status', fields.CharField(default='', max_length=16)),
                ('proof_key_id', fields.CharField(default='', max_length=512)),
                ('revision', fields.IntField(null=True)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdraw_reason', fields.TextField(null=True)),
            ],
            options={'table': 'wire_factcheck', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "A fact-check received from a partner agency (the Article as received, sanitized, and its claim fields)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Endorsement',
            fields=[
                ('id', _id()),
                ('activity_id', fields.CharField(unique=True, max_length=512)),
                ('factcheck_uri', fields.CharField(db_index=True, max_length=512)),
                ('actor_uri', fields.CharField(max_length=512)),
                ('actor_name', fields.CharField(default='', max_length=300)),
                ('proof_key_id', fields.CharField(default='', max_length=512)),
                ('comment', fields.TextField(default='')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'factcheck_endorsement', 'app': 'models',
                     'unique_together': (('factcheck_uri', 'actor_uri'),), 'pk_attr': 'id',
                     'table_description': 'A partner agency (or we) vouching for a fact-check, by its signed `Endorse` activity.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WireStoryMatch',
            fields=[
                ('id', _id()),
                ('wire_story', fields.ForeignKeyField('models.WireStory', source_field='wire_story_id', db_index=True,
                                                      db_constraint=True, to_field='id',
                                                      related_name='factcheck_matches', on_delete=OnDelete.CASCADE)),
                ('factcheck_uri', fields.CharField(max_length=512)),
                ('how', fields.CharField(max_length=8)),
                ('score', fields.FloatField(default=1.0)),
                ('matched', fields.TextField(default='')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wire_story_factcheck_match', 'app': 'models',
                     'unique_together': (('wire_story', 'factcheck_uri'),), 'pk_attr': 'id',
                     'table_description': 'A fact-check that an incoming wire story matched (by a link or by its text), kept with the story.'},
            bases=['Model'],
        ),
    ]
