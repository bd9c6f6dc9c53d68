from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete


class Migration(migrations.Migration):
    """Editors' accounts: users with roles, login sessions and API tokens (stored hashed), and the audit trail."""

    dependencies = [('models', '0010_media_c2pa')]

    initial = False

    operations = [
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharField(max_length=16)),
                ('disabled', fields.BooleanField(default=False)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_user', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'A person who works the desk, with one role of `node.accounts.roles.ROLES`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('id_sha256', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True,
                                                db_constraint=True, to_field='id', related_name='sessions',
                                                on_delete=OnDelete.CASCADE)),
                ('csrf_token', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_session', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "A browser's login, stored by the SHA-256 of its cookie, with the CSRF token bound to it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_sha256', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True,
                                                db_constraint=True, to_field='id', related_name='tokens',
                                                on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(default='', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_token', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "A user's bearer token for the editor API, stored as its SHA-256 and shown once when made."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(db_index=True, max_length=64)),
                ('role', fields.CharField(max_length=16)),
                ('via', fields.CharField(max_length=16)),
                ('action', fields.CharField(max_length=64)),
                ('subject', fields.CharField(default='', max_length=1024)),
                ('method', fields.CharField(default='', max_length=8)),
                ('path', fields.CharField(default='', max_length=1024)),
            ],
            options={'table': 'account_audit', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'One change and who made it (a username, or "node" for the node token and the CLI).'},
            bases=['Model'],
        ),
    ]
