"""Outbox outcome (issue "Mail recovers without waiting"): ``outbox_message.outcome``
qualifies a row's status where the status alone cannot tell:

- ``unknown``: failed because a sender crashed while the message was in flight (the
  server may or may not have taken it), shown as 状态未知;
- ``confirmed``: a person confirmed such a message arrived (status sent), shown as
  已确认送达.

Existing failed rows whose error is the "state unknown" text get ``unknown``. Rows a
sender of the previous version left in ``sending`` become failed/``unknown`` too: that
version recorded a whole batch at once, so any of them may have been delivered (the
new reaper would take all but the first of a claim as never attempted)."""
from peewee import CharField

UNCERTAIN_PREFIX = "发送过程中断"
UNCERTAIN_ERROR = ("发送过程中断：无法确认邮件服务器是否已接收，为避免重复未自动重发。"
                   "请向收件人确认：已收到则标记“已确认送达”，未收到则重发（Message-ID 不变）。")


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('outbox_message', 'outcome', CharField(max_length=16, default='')),
    )
    db.execute_sql("UPDATE outbox_message SET outcome = 'unknown' WHERE status = 'failed' "
                   f"AND last_error LIKE {db.param}", (UNCERTAIN_PREFIX + "%",))
    db.execute_sql("UPDATE outbox_message SET status = 'failed', outcome = 'unknown', "
                   f"claim_token = NULL, last_error = {db.param} WHERE status = 'sending'",
                   (UNCERTAIN_ERROR,))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('outbox_message', 'outcome'))
