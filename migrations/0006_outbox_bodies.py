"""Outbox bodies (issue 4, benchmark): the rendered summary is stored once per distinct
content in ``outbox_body`` and shared by the outbox rows of its recipients (who each
keep their name and unsubscribe link), so building writes ~50 bodies instead of
1,000 copies and every status update of a row touches a small row.

Existing rows keep their exact message: each one's (already personalised) text, HTML
and numbers move into a body of their own (identical contents share one), then the
columns are dropped from ``outbox_message``.

Frozen copy of the models as of this migration; created_at default is set in Python."""
import datetime
import hashlib

from peewee import *


def _digest(text, html, numbers):
    h = hashlib.sha256()
    for part in (text, html, numbers):
        data = part.encode("utf-8")
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest()


def up(migrator, db):
    class OutboxBody(Model):
        digest = CharField(unique=True, max_length=64)
        body_text = TextField()
        body_html = TextField()
        numbers = TextField(default='{}')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'outbox_body'
    db.create_tables([OutboxBody])
    if isinstance(db, MySQLDatabase):
        # TEXT holds only 64 KB on MySQL/MariaDB (see 0004_outbox).
        for column in ('body_text', 'body_html', 'numbers'):
            db.execute_sql(f'ALTER TABLE outbox_body MODIFY {column} MEDIUMTEXT NOT NULL')

    migrator.migrate(migrator.add_column(
        'outbox_message', 'body_id', ForeignKeyField(OutboxBody, field=OutboxBody.id, null=True)))

    class OldMessage(Model):
        body_text = TextField()
        body_html = TextField()
        numbers = TextField()
        body = ForeignKeyField(OutboxBody, null=True)
        class Meta:
            database = db
            table_name = 'outbox_message'

    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    bodies, last = {}, 0
    while True:
        batch = list(OldMessage
                     .select(OldMessage.id, OldMessage.body_text, OldMessage.body_html,
                             OldMessage.numbers)
                     .where(OldMessage.id > last).order_by(OldMessage.id).limit(200).tuples())
        if not batch:
            break
        for row_id, text, html, numbers in batch:
            numbers = numbers or '{}'
            digest = _digest(text, html, numbers)
            if digest not in bodies:
                bodies[digest] = OutboxBody.insert(
                    digest=digest, body_text=text, body_html=html, numbers=numbers,
                    created_at=now).execute()
            OldMessage.update(body=bodies[digest]).where(OldMessage.id == row_id).execute()
        last = batch[-1][0]

    migrator.migrate(migrator.drop_column('outbox_message', 'body_html'))
    migrator.migrate(migrator.drop_column('outbox_message', 'body_text'))
    migrator.migrate(migrator.drop_column('outbox_message', 'numbers'))
    migrator.migrate(migrator.add_not_null('outbox_message', 'body_id'))
