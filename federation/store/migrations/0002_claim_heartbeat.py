"""Queue claims carry their owner (the run id of the process holding them) and a heartbeat, so that the claims
of a process that died are taken back seconds later instead of when their lock expires (`federation.queue`)."""

from tortoise import migrations
from tortoise import fields
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('federation', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(model_name='Delivery', name='claim_owner', field=fields.CharField(null=True, max_length=36)),
        ops.AddField(model_name='Delivery', name='heartbeat_at',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ops.AddField(model_name='InboxItem', name='claim_owner', field=fields.CharField(null=True, max_length=36)),
        ops.AddField(model_name='InboxItem', name='heartbeat_at',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
    ]
