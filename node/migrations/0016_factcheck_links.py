from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete


def _id() -> fields.IntField:
    return fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)


class Migration(migrations.Migration):
    """Fact-checks: which outbox activities carried each of ours (so a withdrawal cancels what has not gone out),
    and the fact-checks each of our own stories matched when it was written (kept with the story)."""

    dependencies = [('models', '0015_desk_wire')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FactCheckActivity',
            fields=[
                ('id', _id()),
                ('factcheck', fields.ForeignKeyField('models.FactCheck', source_field='factcheck_id', db_index=True,
                                                     db_constraint=True, to_field='id', related_name='activities',
                                                     on_delete=OnDelete.CASCADE)),
                ('activity_id', fields.IntField(db_index=True)),
            ],
            options={'table': 'factcheck_activity', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'An outbox activity (Create, Update, Delete) that carried one of our fact-checks.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoryMatch',
            fields=[
                ('id', _id()),
                ('story', fields.ForeignKeyField('models.Story', source_field='story_id', db_index=True,
                                                 db_constraint=True, to_field='id',
                                                 related_name='factcheck_matches', on_delete=OnDelete.CASCADE)),
                ('factcheck_uri', fields.CharField(max_length=512)),
                ('how', fields.CharField(max_length=8)),
                ('score', fields.FloatField(default=1.0)),
                ('matched', fields.TextField(default='')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'story_factcheck_match', 'app': 'models',
                     'unique_together': (('story', 'factcheck_uri'),), 'pk_attr': 'id',
                     'table_description': 'A fact-check that one of our own stories matched when it was published or changed, kept with the story.'},
            bases=['Model'],
        ),
    ]
