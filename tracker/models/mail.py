"""Outbox of the weekly summaries: one row per (week, recipient, kind, scope), and the
rendered summaries they share."""
import hashlib

from markupsafe import escape
from peewee import (
    AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, IntegrityError, TextField,
)

from ..db import backend_name, database
from .base import BaseModel, utcnow
from .core import TaskForce, User

# Where a stored summary says the recipient's name and unsubscribe link
# (private-use characters: never produced by the templates or the data).
RECIPIENT_MARK = "\ue000recipient\ue001"
UNSUBSCRIBE_MARK = "\ue000unsubscribe\ue001"


class OutboxBody(BaseModel):
    """A rendered summary (plain text, HTML and the figures it reports) as every
    recipient of one scope gets it, with RECIPIENT_MARK / UNSUBSCRIBE_MARK where the
    recipient's name and unsubscribe link go. Stored once per distinct content
    (``digest``) and never changed, so the outbox rows that share it stay cheap to
    update while they are sent."""
    id = AutoField()
    digest = CharField(max_length=64, unique=True)     # sha256 of the three parts
    body_text = TextField()
    body_html = TextField()
    numbers = TextField(default="{}")        # JSON: the figures this message reported
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "outbox_body"

    @staticmethod
    def digest_of(text, html, numbers):
        h = hashlib.sha256()
        for part in (text, html, numbers):
            data = part.encode("utf-8")
            h.update(b"%d:" % len(data))
            h.update(data)
        return h.hexdigest()

    @classmethod
    def store(cls, text, html, numbers="{}"):
        """Id of the body with this content, inserted when new."""
        return cls.store_many([(text, html, numbers)])[0]

    @classmethod
    def store_many(cls, contents, chunk=20):
        """Ids of the bodies with these contents [(text, html, numbers)], the new ones
        inserted in one transaction (safe against a concurrent insert of the same
        content)."""
        digests = [cls.digest_of(*content) for content in contents]
        with database.atomic():
            found = cls._ids(digests)
            new = {d: c for d, c in zip(digests, contents) if d not in found}
            items = list(new.items())
            try:
                with database.atomic():
                    for start in range(0, len(items), chunk):
                        cls.insert_many([
                            {"digest": d, "body_text": text, "body_html": html,
                             "numbers": numbers, "created_at": utcnow()}
                            for d, (text, html, numbers) in items[start:start + chunk]]).execute()
            except IntegrityError:      # another process stored some of them meanwhile
                for d, (text, html, numbers) in items:
                    try:
                        with database.atomic():
                            cls.insert(digest=d, body_text=text, body_html=html,
                                       numbers=numbers).execute()
                    except IntegrityError:
                        pass
            if new:     # a locking read: it sees a row another process committed meanwhile
                found = cls._ids(digests, latest=True)
        return [found[d] for d in digests]

    @classmethod
    def _ids(cls, digests, latest=False):
        """{digest: id} of the stored bodies. ``latest``: read what is committed now, not
        this transaction's snapshot (MariaDB's REPEATABLE READ keeps the snapshot of the
        first read; a locking read sees the newest committed rows)."""
        query = cls.select(cls.digest, cls.id).where(cls.digest.in_(sorted(set(digests))))
        if latest and backend_name() != "sqlite":
            query = query.for_update()
        return dict(query.tuples())


class OutboxMessage(BaseModel):
    """A mail waiting to be (or already) delivered: one recipient of a stored body.

    Life cycle: pending -> sending (claimed, Message-ID fixed at build time) -> sent;
    a failed attempt returns the row to pending with ``next_attempt_at`` (backoff) or,
    after the last attempt, failed. cancelled = the recipient opted out before sending.
    ``outcome`` qualifies the status: "unknown" on a failed row whose sender crashed
    while the message was in flight (状态未知), "confirmed" on a sent row a person
    confirmed as delivered (已确认送达).
    The message is fixed when the row is built: the shared body with this row's
    ``to_name`` and ``unsubscribe_url`` put in (``body_text``, ``body_html``).
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
    body = ForeignKeyField(OutboxBody, backref="messages")
    status = CharField(max_length=16, default="pending", index=True)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True, index=True)
    claimed_at = DateTimeField(null=True)
    claim_token = CharField(max_length=32, null=True)
    transport = CharField(max_length=8, default="")  # smtp | eml (set when claimed)
    last_error = TextField(default="")
    outcome = CharField(max_length=16, default="")   # "" | unknown | confirmed (see below)
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "outbox_message"
        indexes = ((("week", "user", "kind", "scope"), True),)

    STATUSES = {
        "pending": "待发送",
        "sending": "发送中",
        "sent": "已发送",
        "failed": "发送失败",
        "cancelled": "已取消",
    }
    UNKNOWN, CONFIRMED = "unknown", "confirmed"
    # (status, outcome or transport) -> the word staff see
    QUALIFIED = {("failed", UNKNOWN): "状态未知", ("sent", CONFIRMED): "已确认送达",
                 ("sent", "eml"): "已写入文件"}
    KINDS = {"task_force": "专班周报", "bureau": "全市周报", "test": "测试邮件",
             "reminder": "督办提醒", "nudge": "未推进提醒"}     # the last two: services.reminders

    @property
    def status_label(self):
        return (self.QUALIFIED.get((self.status, self.outcome))
                or self.QUALIFIED.get((self.status, self.transport))
                or self.STATUSES.get(self.status, self.status))

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)

    @property
    def body_text(self):
        """The plain-text part as this recipient gets it."""
        return personalise(self.body.body_text, self.to_name, self.unsubscribe_url)

    @property
    def body_html(self):
        """The HTML part as this recipient gets it."""
        return personalise(self.body.body_html, str(escape(self.to_name)),
                           str(escape(self.unsubscribe_url)))

    @property
    def numbers(self):
        return self.body.numbers


def personalise(template, name, unsubscribe):
    """Put a recipient's name and unsubscribe link into a stored body (the link
    first: a name can never turn into a link)."""
    return template.replace(UNSUBSCRIBE_MARK, unsubscribe).replace(RECIPIENT_MARK, name)
