"""督办 (issue 22): ``supervision_item`` (a problem the bureau chases on a project or a task
force, with a deadline, a priority and an optional 领导批示) and ``supervision_reply`` (its
thread: 进展反馈, 办结, 退回).

Frozen copy of the models as of this migration; defaults are set in Python."""
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

    class SupervisionItem(Model):
        title = CharField(max_length=100)
        problem = TextField()
        project = ForeignKeyField(Project, null=True, on_delete='SET NULL')
        task_force = ForeignKeyField(TaskForce, on_delete='RESTRICT')
        responsible = ForeignKeyField(User, null=True, on_delete='SET NULL')
        deadline = DateField(index=True)
        priority = CharField(max_length=16)
        instruction = TextField()
        instruction_by = CharField(max_length=64)
        instruction_on = DateField(null=True)
        state = CharField(max_length=16, index=True)
        opened_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        opened_at = DateTimeField()
        closed_at = DateTimeField(null=True)
        last_reply_at = DateTimeField(null=True)
        version = IntegerField()

        class Meta:
            database = db
            table_name = 'supervision_item'
            indexes = ((('task_force', 'state'), False),)

    class SupervisionReply(Model):
        item = ForeignKeyField(SupervisionItem, on_delete='CASCADE')
        kind = CharField(max_length=16)
        text = TextField()
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'supervision_reply'

    db.create_tables([SupervisionItem, SupervisionReply])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('supervision_reply'), migrator.drop_table('supervision_item'))
