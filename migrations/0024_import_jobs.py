"""Import jobs (issue 18, "Long work off the request path"): ``import_job``, one row per
large import judged (kind "preview") or committed (kind "commit") by the scheduler process
(state, rows done of total, the batch it wrote or the error, owner and heartbeat).

Frozen copy of the model as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class ImportBatch(Model):
        class Meta:
            database = db
            table_name = 'import_batch'

    class ImportJob(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=16)
        token = CharField(max_length=64)
        file_name = CharField(max_length=255)
        choices = TextField()
        on_duplicate = CharField(max_length=16)
        acknowledged = BooleanField()
        state = CharField(max_length=16, index=True)
        rows_total = IntegerField()
        rows_done = IntegerField()
        batch = ForeignKeyField(ImportBatch, null=True, on_delete='SET NULL')
        error = TextField()
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        heartbeat_at = DateTimeField(null=True)
        host = CharField(max_length=255)
        pid = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'import_job'

    db.create_tables([ImportJob])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('import_job'))
