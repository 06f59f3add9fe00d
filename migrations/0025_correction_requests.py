"""更正申请 (issue 19, "Closed periods"): ``correction_request``, one row per write into a
closed quarter asked for by a member or a lead, pending until the bureau approves or
rejects it.

Frozen copy of the model as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class TaskForce(Model):
        class Meta:
            database = db
            table_name = 'task_force'

    class Project(Model):
        class Meta:
            database = db
            table_name = 'project'

    class CorrectionRequest(Model):
        project = ForeignKeyField(Project, null=True, on_delete='CASCADE')
        task_force = ForeignKeyField(TaskForce, on_delete='CASCADE')
        action = CharField(max_length=16)
        payload = TextField()
        summary = TextField()
        closed_on = DateField()
        reason = TextField()
        state = CharField(max_length=16, index=True)
        requested_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        requested_at = DateTimeField()
        decided_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        decided_at = DateTimeField(null=True)
        decision_note = TextField()
        result = TextField()

        class Meta:
            database = db
            table_name = 'correction_request'
            indexes = ((('task_force', 'state'), False),)

    db.create_tables([CorrectionRequest])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('correction_request'))
