"""Export jobs (issue 18, "Long work off the request path"): ``export_job``, one row per
ledger export too large to write inside a request, written by the scheduler process
(state, rows done of total, the stored file's token and names or the error, owner and
heartbeat).

Frozen copy of the model as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class ExportJob(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=16)
        filters = TextField()
        token = CharField(max_length=64, unique=True)
        file_name = CharField(max_length=255)
        ascii_name = CharField(max_length=255)
        state = CharField(max_length=16, index=True)
        rows_total = IntegerField()
        rows_done = IntegerField()
        error = TextField()
        created_at = DateTimeField(index=True)
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        heartbeat_at = DateTimeField(null=True)
        host = CharField(max_length=255)
        pid = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'export_job'

    db.create_tables([ExportJob])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('export_job'))
