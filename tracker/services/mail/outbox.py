"""The 周报发件箱 pages' (and ``outbox list``'s) use-cases: the list, one message,
resend, confirmed delivered, retry now, "send a test to me" and its preview (of the last
complete week, or of the week in progress up to today)."""
import secrets
from dataclasses import dataclass

from markupsafe import escape
from peewee import fn

from ... import clock
from ...domain.errors import NotFound, ValidationError
from ...domain.weeks import last_week, week_of
from ...models import OutboxMessage, User, utcnow
from ...models.mail import personalise
from .. import audit, tx
from . import delivery, decisions
from .mime import message_headers, new_message_id
from .numbers import number_tables
from ..pagination import Page, paginate
from .summaries import row_fields
from .data import collect
from .render import messages_for

PER_PAGE = 50
RECENT_WEEKS = 30
STATUSES = OutboxMessage.STATUSES
UNKNOWN_LABEL = OutboxMessage.QUALIFIED[("failed", OutboxMessage.UNKNOWN)]
# The page's status filter: every status, and the failed rows whose state is unknown.
FILTERS = {**STATUSES, "unknown": UNKNOWN_LABEL}
NO_EMAIL = "您的账号没有设置邮箱，无法发送测试邮件。"
NOTHING_TO_SEND = "没有可发送的周报内容。"
# The weeks a test mail or its preview shows: the last complete ISO week, or the week in
# progress (its changes from Monday to today, the progress as of today).
TEST_WEEKS = {"last": "上周（完整周）", "current": "本周（截至今天）"}
BAD_TEST_WEEK = "未识别的周选项，已改用上周（完整周）。"
# What staff other than the recipient see where a message holds its one-click unsubscribe
# link: the link works without a login, so only its recipient may read it.
REDACTED_LINK = "（退订链接仅收件人本人可见）"

LIST_COLUMNS = (
    OutboxMessage.id, OutboxMessage.week, OutboxMessage.kind, OutboxMessage.to_addr,
    OutboxMessage.to_name, OutboxMessage.subject, OutboxMessage.status,
    OutboxMessage.attempts, OutboxMessage.next_attempt_at, OutboxMessage.sent_at,
    OutboxMessage.last_error, OutboxMessage.created_at, OutboxMessage.transport,
    OutboxMessage.outcome, OutboxMessage.claimed_at)


def status_word(row, settings, now=None):
    """What staff read for a row's state: 待发送, 发送中, 已发送, 已写入文件 (.eml),
    发送失败, 状态未知 (also a 'sending' row whose lease ran out), 已确认送达, 已取消."""
    if row.status == "sending" and decisions.in_doubt(row, settings, now):
        return UNKNOWN_LABEL
    return row.status_label


def _filtered(query, status):
    if status == "unknown":
        return query.where((OutboxMessage.status == "failed")
                           & (OutboxMessage.outcome == OutboxMessage.UNKNOWN))
    return query.where(OutboxMessage.status == status) if status else query


def outbox_counts(week=None):
    """{status: number of messages} (of one week, or of all), with "unknown": the failed
    ones whose state is unknown."""
    M = OutboxMessage
    query = M.select(M.status, M.outcome, fn.COUNT(M.id).alias("n"))
    if week:
        query = query.where(M.week == week)
    counts = {}
    for r in query.group_by(M.status, M.outcome).dicts():
        counts[r["status"]] = counts.get(r["status"], 0) + r["n"]
        if (r["status"], r["outcome"]) == ("failed", M.UNKNOWN):
            counts["unknown"] = r["n"]
    return counts


def recent_weeks(limit=RECENT_WEEKS):
    """The latest weeks that have mail, newest first, then the latest days that have 督办
    reminders (their rows' ``week`` is the day, "2026-12-08"; services.reminders), newest
    first: the page's 周 filter offers both."""
    M = OutboxMessage

    def latest(kinds):
        return [w for (w,) in M.select(fn.DISTINCT(M.week)).where(kinds)
                .order_by(M.week.desc()).limit(limit).tuples()]
    weeks = latest(M.kind.not_in(sorted(delivery.REMINDER_KINDS)))
    return weeks + [d for d in latest(M.kind.in_(sorted(delivery.REMINDER_KINDS))) if d not in weeks]


@dataclass(frozen=True)
class Listing:
    page: Page
    status: str          # "" = every status
    week: str            # "" = every week
    weeks: list
    counts: dict


def listing(status, week, page, settings):
    """One page of the outbox, newest first, filtered by status (a key of FILTERS; an
    unknown one is ignored) and ISO week key; each row with its ``status_word``."""
    status = status if status in FILTERS else ""
    week = (week or "").strip()[:10]
    query = _filtered(OutboxMessage.select(*LIST_COLUMNS), status)
    if week:
        query = query.where(OutboxMessage.week == week)
    rows = paginate(query.order_by(OutboxMessage.id.desc()), page, PER_PAGE)
    now = utcnow()
    for row in rows.rows:
        row.status_word = status_word(row, settings, now)
    return Listing(rows, status, week, recent_weeks(), outbox_counts(week or None))


@dataclass(frozen=True)
class Detail:
    row: OutboxMessage
    headers: list        # [(name, decoded value)]
    tables: list         # the reported figures: [outbox_numbers.Table]
    status_word: str
    in_doubt: bool       # the server may or may not have taken it: confirm or resend
    can_resend: bool

    def shown_to(self, viewer_id):
        """(headers, body_text, body_html) as ``viewer_id`` may see them: the unsubscribe
        link, in the List-Unsubscribe header and in the bodies, only for the recipient."""
        row = self.row
        if not row.unsubscribe_url or (row.user_id is not None and row.user_id == viewer_id):
            return self.headers, row.body_text, row.body_html
        headers = [(name, REDACTED_LINK if name.lower() == "list-unsubscribe"
                    else value.replace(row.unsubscribe_url, REDACTED_LINK))
                   for name, value in self.headers]
        return (headers, personalise(row.body.body_text, row.to_name, REDACTED_LINK),
                personalise(row.body.body_html, str(escape(row.to_name)), "#"))


def detail(message_id, settings):
    """One message with its headers and figures; NotFound for a missing id."""
    row = OutboxMessage.get_or_none(OutboxMessage.id == int(message_id))
    if row is None:
        raise NotFound(delivery.MISSING)
    doubt = decisions.in_doubt(row, settings)
    return Detail(row, message_headers(row, settings.from_addr), number_tables(row.numbers),
                  status_word(row, settings), doubt, doubt or row.status == "failed")


def resend(message_id, actor, settings):
    """A failed or in-doubt message goes back to the queue (same Message-ID, audited)
    and is sent at once; the SendResult of that attempt. ValidationError otherwise."""
    row_id = decisions.requeue(message_id, actor, settings)
    return delivery.send_now(row_id, settings)


def confirm_delivered(message_id, actor, settings):
    """An in-doubt message is marked 已确认送达 (audited); ValidationError otherwise."""
    return decisions.confirm_delivered(message_id, actor, settings)


def retry_now_and_send(actor, settings, limit=None):
    """The pending messages waiting for their retry time become due now (audited when
    there were any) and the due messages are sent: (rows made due, SendResult)."""
    count = decisions.retry_now(actor)
    return count, delivery.send_pending(settings, limit=limit)


@dataclass(frozen=True)
class OperatorRow:
    id: int
    week: str
    kind: str
    recipient: str
    status: str          # the status key, with its outcome ("failed/unknown")
    attempts: int
    next_attempt_at: object   # UTC or None
    error: str


def operator_rows(week=None, status=None, limit=200):
    """(rows, total) of the outbox for ``outbox list``, oldest first, filtered by ISO
    week key and status key; at most ``limit`` rows."""
    query = _filtered(OutboxMessage.select(*LIST_COLUMNS), status or "")
    if week:
        query = query.where(OutboxMessage.week == week)
    total = query.count()
    rows = [OperatorRow(r.id, r.week, r.kind, r.to_addr,
                        f"{r.status}/{r.outcome}" if r.outcome else r.status, r.attempts,
                        r.next_attempt_at if r.status == "pending" else None,
                        " ".join((r.last_error or "").split()))
            for r in query.order_by(OutboxMessage.id).limit(limit)]
    return rows, total


@dataclass(frozen=True)
class TestMail:
    row_id: int
    to_addr: str
    result: delivery.SendResult


@dataclass(frozen=True)
class WeekChoice:
    which: str           # a key of TEST_WEEKS
    message: str         # why an unknown value became "last" ("" when it did not)


def week_choice(value):
    """The test week chosen by ``value`` ("last" or "current"; none is "last"); an
    unknown value is "last", with a message saying so."""
    value = (value or "").strip()
    if value in TEST_WEEKS:
        return WeekChoice(value, "")
    return WeekChoice("last", BAD_TEST_WEEK if value else "")


def chosen_week_data(which, today, settings):
    """WeekData of the test week: the week in progress up to ``today`` for "current",
    else the complete week before ``today``'s (``settings``: the MailSettings)."""
    if which == "current":
        return collect(week_of(today), settings, until=today)
    return collect(last_week(today), settings)


@dataclass(frozen=True)
class MailPreview:
    which: str
    week: object         # domain.weeks.Week
    as_of: object        # the day the figures are judged at
    in_progress: bool
    messages: list       # [summary_render.Rendered], what the test would send first


def preview_test(user_id, which, settings, today=None):
    """The summaries a test mail of the chosen week would hold for the user (nothing is
    stored or sent). NotFound for an unknown user."""
    user = User.get_or_none(User.id == int(user_id))
    if user is None:
        raise NotFound("用户不存在。")
    data = chosen_week_data(which, today or clock.today(), settings)
    return MailPreview(which, data.week, data.as_of, data.in_progress,
                       messages_for(data, user))


def _test_fields(user, settings, today, which="last"):
    """Fields of a test row: the first summary ``user`` would get for the chosen week."""
    data = chosen_week_data(which, today, settings)
    week = data.week
    messages = messages_for(data, user)
    if not messages:
        raise ValidationError(NOTHING_TO_SEND)
    msg = messages[0]
    scope = f"test:{secrets.token_hex(6)}"
    fields = row_fields(week, user, msg, settings)
    fields.update(kind="test", scope=scope, subject=("[测试] " + msg.subject)[:255],
                  message_id=new_message_id(settings.message_domain, "test", week.key, scope,
                                            f"u{user.id}"))
    return fields


def send_test(user_id, settings, today=None, which="last"):
    """The first summary of the user for the chosen week (``which``: "last", the complete
    week before today's, or "current", the week in progress up to today), sent now to the
    user alone as a test row (the weekly rows are untouched). ValidationError without an
    address or content."""
    user = User.get_or_none(User.id == int(user_id))
    if user is None:
        raise NotFound("用户不存在。")
    if not (user.email or "").strip():
        raise ValidationError({"email": NO_EMAIL})
    fields = _test_fields(user, settings, today or clock.today(), which)   # before locking
    with tx.write():
        user = tx.lock_id(User, user.id)
        if (user.email or "").strip() != fields["to_addr"]:
            raise ValidationError({"email": "您的邮箱刚刚被修改，请重试。"})
        row_id = OutboxMessage.insert(**fields).execute()
        audit.record(user, "outbox_message", row_id, "test", None,
                     {"to": fields["to_addr"], "subject": fields["subject"]})
    return TestMail(row_id, fields["to_addr"], delivery.send_now(row_id, settings))
