"""The follow-up log (issue 21, 跟进记录): ``activity`` (one row per visit, call, 推介会 …
of a task force), ``activity_project`` (the projects it concerns) and
``activity_participant`` (the users who took part).

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

    class Activity(Model):
        task_force = ForeignKeyField(TaskForce, on_delete='RESTRICT')
        kind = CharField(max_length=16)
        occurred_on = DateField(index=True)
        counterpart = CharField(max_length=200)
        counterpart_tags = CharField(max_length=200)
        region = CharField(max_length=32)
        place = CharField(max_length=100)
        leader_led = BooleanField()
        leader_title = CharField(max_length=64)
        participants_text = CharField(max_length=500)
        summary = TextField()
        outcome = CharField(max_length=16)
        next_step = TextField()
        next_step_on = DateField(null=True)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        version = IntegerField()
        voided_at = DateTimeField(null=True)
        voided_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        void_reason = TextField()

        class Meta:
            database = db
            table_name = 'activity'
            indexes = ((('task_force', 'occurred_on'), False),)

    class ActivityProject(Model):
        activity = ForeignKeyField(Activity, on_delete='CASCADE')
        project = ForeignKeyField(Project, on_delete='CASCADE')

        class Meta:
            database = db
            table_name = 'activity_project'
            indexes = ((('activity', 'project'), True), (('project', 'activity'), False))

    class ActivityParticipant(Model):
        activity = ForeignKeyField(Activity, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')

        class Meta:
            database = db
            table_name = 'activity_participant'
            indexes = ((('activity', 'user'), True),)

    db.create_tables([Activity, ActivityProject, ActivityParticipant])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('activity_participant'), migrator.drop_table('activity_project'),
                     migrator.drop_table('activity'))
