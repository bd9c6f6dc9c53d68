"""Object integrity proofs (issue 4): our actors' Ed25519 (and retired RSA) keys, and wire stories' proof verdicts."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops
from orjson import loads


class Migration(migrations.Migration):
    dependencies = [("models", "0003_translation_jobs")]

    operations = [
        ops.CreateModel(
            name='ProofKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.CharField(db_index=True, max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('key_id', fields.CharField(unique=True, max_length=512)),
                ('private_key_pem', fields.TextField(null=True, unique=False)),
                ('public_key', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'proof_key', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "A key of one of our local actors, current or retired."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WireProof',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('story', fields.OneToOneField('models.WireStory', source_field='story_id', db_constraint=True,
                                               to_field='id', related_name='proof', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(db_index=True, max_length=16)),
                ('code', fields.CharField(default='', max_length=32)),
                ('reason', fields.CharField(default='', max_length=300)),
                ('key_id', fields.CharField(default='', max_length=512)),
                ('origin', fields.CharField(default='', max_length=512)),
                ('via', fields.CharField(default='', max_length=512)),
                ('signed_object', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('checked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'wire_proof', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "How a wire story's object integrity proof checked out when it arrived "
                                          "(or was last re-checked)."},
            bases=['Model'],
        ),
    ]
