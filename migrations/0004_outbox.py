"""Outbox of the weekly summaries (issue 4): one row per (week, recipient, kind, scope).

Frozen copy of the model as of this migration; timestamp defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class TaskForce(Model):
        class Meta:
            database = db
            table_name = 'task_force'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class OutboxMessage(Model):
        week = CharField(max_length=10)
        kind = CharField(max_length=16)
        scope = CharField(max_length=40)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        task_force = ForeignKeyField(TaskForce, null=True, on_delete='SET NULL')
        to_addr = CharField(max_length=254)
        to_name = CharField(max_length=64, default='')
        subject = CharField()
        message_id = CharField(unique=True)
        unsubscribe_url = CharField(max_length=500, default='')
        body_text = TextField()
        body_html = TextField()
        numbers = TextField(default='{}')
        status = CharField(index=True, max_length=16, default='pending')
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True, null=True)
        claimed_at = DateTimeField(null=True)
        claim_token = CharField(null=True, max_length=32)
        transport = CharField(max_length=8, default='')
        last_error = TextField(default='')
        sent_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'outbox_message'
            indexes = ((('week', 'user', 'kind', 'scope'), True),)
    db.create_tables([OutboxMessage])
    if isinstance(db, MySQLDatabase):
        # TEXT holds only 64 KB on MySQL/MariaDB; a city-wide summary with many task
        # forces can be larger. (The schema diff does not compare column types.)
        for column in ('body_text', 'body_html', 'numbers'):
            db.execute_sql(f'ALTER TABLE outbox_message MODIFY {column} MEDIUMTEXT NOT NULL')


def down(migrator, db):
    migrator.migrate(migrator.drop_table('outbox_message'))
