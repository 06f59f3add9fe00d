"""Outbox of the weekly summaries: one row per (week, recipient, kind, scope)."""
from peewee import (
    AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField,
)

from .base import BaseModel, utcnow
from .core import TaskForce, User


class OutboxMessage(BaseModel):
    """A rendered mail waiting to be (or already) delivered.

    Life cycle: pending -> sending (claimed, Message-ID fixed at build time) -> sent;
    a failed attempt returns the row to pending with ``next_attempt_at`` (backoff) or,
    after the last attempt, failed. cancelled = the recipient opted out before sending.
    """
    id = AutoField()
    week = CharField(max_length=10)          # ISO week key, "2026-W26"
    kind = CharField(max_length=16)          # task_force | bureau | test
    scope = CharField(max_length=40)         # "tf:<id>" | "city" | "test:<token>"
    user = ForeignKeyField(User, backref="outbox_messages", null=True, on_delete="SET NULL")
    task_force = ForeignKeyField(TaskForce, null=True, on_delete="SET NULL")
    to_addr = CharField(max_length=254)
    to_name = CharField(max_length=64, default="")
    subject = CharField(max_length=255)
    message_id = CharField(max_length=255, unique=True)
    unsubscribe_url = CharField(max_length=500, default="")
    body_text = TextField()
    body_html = TextField()
    numbers = TextField(default="{}")        # JSON: the figures this message reported
    status = CharField(max_length=16, default="pending", index=True)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True, index=True)
    claimed_at = DateTimeField(null=True)
    claim_token = CharField(max_length=32, null=True)
    transport = CharField(max_length=8, default="")  # smtp | eml (set when claimed)
    last_error = TextField(default="")
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "outbox_message"
        indexes = ((("week", "user", "kind", "scope"), True),)

    STATUSES = {
        "pending": "待发送",
        "sending": "发送中",
        "sent": "已发送",
        "failed": "失败",
        "cancelled": "已取消",
    }
    KINDS = {"task_force": "专班周报", "bureau": "全市周报", "test": "测试邮件"}

    @property
    def status_label(self):
        return self.STATUSES.get(self.status, self.status)

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)
