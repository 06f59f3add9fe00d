"""The 周报发件箱 pages' use-cases: the list, one message, resend, "send a test to me"."""
import json
import secrets
from dataclasses import dataclass

from peewee import fn

from .. import clock
from ..domain.errors import NotFound, ValidationError
from ..domain.weeks import last_week
from ..models import OutboxMessage, User
from . import audit, outbox, tx
from .mail_mime import message_headers, new_message_id
from .pagination import Page, paginate
from .summaries import row_fields
from .summary_data import collect
from .summary_render import messages_for

PER_PAGE = 50
RECENT_WEEKS = 30
STATUSES = OutboxMessage.STATUSES
NO_EMAIL = "您的账号没有设置邮箱，无法发送测试邮件。"
NOTHING_TO_SEND = "没有可发送的周报内容。"

LIST_COLUMNS = (
    OutboxMessage.id, OutboxMessage.week, OutboxMessage.kind, OutboxMessage.to_addr,
    OutboxMessage.to_name, OutboxMessage.subject, OutboxMessage.status,
    OutboxMessage.attempts, OutboxMessage.next_attempt_at, OutboxMessage.sent_at,
    OutboxMessage.last_error, OutboxMessage.created_at)


def outbox_counts(week=None):
    """{status: number of messages} (of one week, or of all)."""
    query = OutboxMessage.select(OutboxMessage.status, fn.COUNT(OutboxMessage.id).alias("n"))
    if week:
        query = query.where(OutboxMessage.week == week)
    return {r["status"]: r["n"] for r in query.group_by(OutboxMessage.status).dicts()}


def recent_weeks(limit=RECENT_WEEKS):
    """The latest weeks that have mail, newest first."""
    return [w for (w,) in OutboxMessage.select(fn.DISTINCT(OutboxMessage.week))
            .order_by(OutboxMessage.week.desc()).limit(limit).tuples()]


@dataclass(frozen=True)
class Listing:
    page: Page
    status: str          # "" = every status
    week: str            # "" = every week
    weeks: list
    counts: dict


def listing(status, week, page):
    """One page of the outbox, newest first, filtered by status and ISO week key (an
    unknown status is ignored)."""
    status = status if status in STATUSES else ""
    week = (week or "").strip()[:10]
    query = OutboxMessage.select(*LIST_COLUMNS)
    if status:
        query = query.where(OutboxMessage.status == status)
    if week:
        query = query.where(OutboxMessage.week == week)
    rows = paginate(query.order_by(OutboxMessage.id.desc()), page, PER_PAGE)
    return Listing(rows, status, week, recent_weeks(), outbox_counts(week or None))


@dataclass(frozen=True)
class Detail:
    row: OutboxMessage
    headers: list        # [(name, decoded value)]
    numbers: str         # the reported figures, pretty-printed JSON


def detail(message_id, settings):
    """One message with its headers and figures; NotFound for a missing id."""
    row = OutboxMessage.get_or_none(OutboxMessage.id == int(message_id))
    if row is None:
        raise NotFound(outbox.MISSING)
    try:
        numbers = json.dumps(json.loads(row.numbers or "{}"), ensure_ascii=False, indent=2)
    except ValueError:
        numbers = row.numbers
    return Detail(row, message_headers(row, settings.from_addr), numbers)


def resend(message_id, actor, settings):
    """A failed message goes back to the queue (same Message-ID, audited) and is sent
    at once; the SendResult of that attempt. ValidationError when it is not failed."""
    row_id = outbox.requeue(message_id, actor)
    return outbox.send_now(row_id, settings)


@dataclass(frozen=True)
class TestMail:
    row_id: int
    to_addr: str
    result: outbox.SendResult


def _test_fields(user, settings, today):
    """Fields of a test row: the first summary ``user`` would get for last week."""
    week = last_week(today)
    messages = messages_for(collect(week), user)
    if not messages:
        raise ValidationError(NOTHING_TO_SEND)
    msg = messages[0]
    scope = f"test:{secrets.token_hex(6)}"
    fields = row_fields(week, user, msg, settings)
    fields.update(kind="test", scope=scope, subject=("[测试] " + msg.subject)[:255],
                  message_id=new_message_id(settings.message_domain, "test", week.key, scope,
                                            f"u{user.id}"))
    return fields


def send_test(user_id, settings, today=None):
    """Last week's first summary of the user, sent now to the user alone as a test row
    (the weekly rows are untouched). ValidationError without an address or content."""
    user = User.get_or_none(User.id == int(user_id))
    if user is None:
        raise NotFound("用户不存在。")
    if not (user.email or "").strip():
        raise ValidationError({"email": NO_EMAIL})
    fields = _test_fields(user, settings, today or clock.today())   # rendered before locking
    with tx.write():
        user = tx.lock_id(User, user.id)
        if (user.email or "").strip() != fields["to_addr"]:
            raise ValidationError({"email": "您的邮箱刚刚被修改，请重试。"})
        row_id = OutboxMessage.insert(**fields).execute()
        audit.record(user, "outbox_message", row_id, "test", None,
                     {"to": fields["to_addr"], "subject": fields["subject"]})
    return TestMail(row_id, fields["to_addr"], outbox.send_now(row_id, settings))
