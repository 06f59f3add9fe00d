"""Group robots (issue 22, Channels): ``group_robot`` (a 企业微信 or 钉钉 group robot of a task
force, or of the bureau when ``task_force`` is null; its webhook URL and signing secret) and
``robot_message`` (the robots' outbox: one markdown message per robot and key).

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

    class GroupRobot(Model):
        task_force = ForeignKeyField(TaskForce, null=True, on_delete='CASCADE')
        kind = CharField(max_length=16)
        name = CharField(max_length=64)
        webhook_url = CharField(max_length=1000)
        secret = CharField(max_length=200)
        state = CharField(max_length=16, index=True)
        broken_reason = TextField()
        broken_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        version = IntegerField()

        class Meta:
            database = db
            table_name = 'group_robot'

    class RobotMessage(Model):
        robot = ForeignKeyField(GroupRobot, on_delete='CASCADE')
        key = CharField(max_length=120)
        title = CharField(max_length=120)
        content = TextField()
        link = CharField(max_length=500)
        mentions = TextField()
        status = CharField(max_length=16, index=True)
        outcome = CharField(max_length=16)
        attempts = IntegerField()
        next_attempt_at = DateTimeField(null=True, index=True)
        claimed_at = DateTimeField(null=True)
        claim_token = CharField(max_length=32, null=True)
        last_error = TextField()
        sent_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'robot_message'
            indexes = ((('robot', 'key'), True),)

    db.create_tables([GroupRobot, RobotMessage])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('robot_message'), migrator.drop_table('group_robot'))
