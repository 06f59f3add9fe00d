"""Outbox outcome (issue "Mail recovers without waiting"): ``outbox_message.outcome``
qualifies a row's status where the status alone cannot tell:

- ``unknown``: failed because a sender crashed while the message was in flight (the
  server may or may not have taken it), shown as 状态未知;
- ``confirmed``: a person confirmed such a message arrived (status sent), shown as
  已确认送达.

Existing failed rows whose error is the "state unknown" text get ``unknown``."""
from peewee import CharField

UNCERTAIN_PREFIX = "发送过程中断"


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('outbox_message', 'outcome', CharField(max_length=16, default='')),
    )
    db.execute_sql("UPDATE outbox_message SET outcome = 'unknown' WHERE status = 'failed' "
                   f"AND last_error LIKE {db.param}", (UNCERTAIN_PREFIX + "%",))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('outbox_message', 'outcome'))
