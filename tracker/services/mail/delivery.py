"""Delivery state of outbox rows: claim, deliver, record, reap (a person's decisions --
resend, confirmed delivered, retry now -- are in ``outbox_actions``).

Delivery guarantee (per outbox row):

1. Before talking to the mail server rows are *claimed*, MAIL_BATCH (default 25) at a
   time: one committed UPDATE moves the rows that are still pending and due to
   ``sending`` under a fresh claim token and bumps ``attempts``. Two senders
   (scheduler + CLI, two hosts) can never claim the same row, so no row is sent
   twice concurrently.
2. The Message-ID was fixed when the row was built and never changes, so every
   attempt of a row is the same message to the receiving side.
3. The claimed messages go out one by one over one connection, in id order, and each
   outcome is recorded in its own commit as soon as the server has answered, before
   the next message starts: ``sent`` with ``sent_at`` when the server accepted it
   (250 after DATA); for a failure that proves the server did not take it
   (connection refused, 4xx/5xx to MAIL/RCPT/DATA) back to ``pending`` with the
   error and a back-off retry time, or ``failed`` on a 5xx or the last allowed
   attempt. The same commit renews the claim time of the batch's rows still to go
   (so a slow batch never outlives its lease). Rows not attempted because the run
   stopped go back to ``pending`` untouched.
4. A crash (or a lost database connection) therefore leaves in ``sending`` the one
   message that was in flight -- the lowest id of its claim -- and the batch's rows
   after it, which were never attempted. Once the lease (MAIL_SENDING_LEASE,
   default 15 min, far above the SMTP timeouts) has expired, the next run gives
   the never-attempted rows back to ``pending`` and marks the one in flight
   ``failed`` with outcome ``unknown`` (状态未知): it is NOT retried
   automatically, a person decides on the outbox page -- "confirmed delivered"
   or "resend" (same Message-ID, so clients that collapse duplicate Message-IDs
   show one copy). At most one message per crashed sender needs that decision.
   For .eml delivery the file itself is the proof: an existing file means
   delivered (-> sent), a missing one means not delivered (-> pending again), so
   .eml delivery is exactly-once.

So automatic delivery is at most once per row; the only duplicate that can occur
without a person pressing "resend" is the one SMTP itself allows: the connection
drops after the final "." was sent but before the server's reply arrived (RFC 1047);
that attempt counts as failed and is retried.

Every function takes the mail settings (:class:`~.mail_settings.MailSettings`) as an
argument; none reads the app's config.
"""
import secrets
from dataclasses import dataclass, field

from peewee import JOIN, fn

from ...models import OutboxBody, OutboxMessage, User, utcnow
from .. import tx
from ..compiled import Compiled
from ..jobqueue import Claim
from .transport import DeliveryError, EmlTransport, make_transport

UNCERTAIN_ERROR = ("发送过程中断：无法确认邮件服务器是否已接收，为避免重复未自动重发。"
                   "请向收件人确认：已收到则标记“已确认送达”，未收到则重发（Message-ID 不变）。")
MISSING = "邮件不存在。"


@dataclass
class SendResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    reaped: int = 0              # rows a crashed sender left in 'sending', resolved
    unknown: int = 0             # ... of which marked failed, state unknown (状态未知)
    stopped: str = ""            # why the run stopped early (server unreachable)
    waiting: int = 0             # rows left pending until their retry time (after the run)
    waiting_until: tuple = ()    # (earliest, latest) retry time of those rows, UTC
    errors: list = field(default_factory=list)
    transport: str = ""          # smtp | eml

    @property
    def sent_word(self):
        return "已写入文件" if self.transport == "eml" else "已发送"

    def summary(self):
        text = f"已发送 {self.sent} 封"
        if self.transport == "eml":
            text += "（已写入 .eml 文件，未经邮件服务器）"
        text += f"，待重试 {self.retry} 封，失败 {self.failed} 封，已取消 {self.cancelled} 封"
        if self.reaped:
            text += f"，处理中断的发送 {self.reaped} 封（其中状态未知 {self.unknown} 封）"
        if self.stopped:
            text += f"；提前停止：{self.stopped}"
        return text


def _due(now):
    return (OutboxMessage.status == "pending") & (
        OutboxMessage.next_attempt_at.is_null() | (OutboxMessage.next_attempt_at <= now))


def _held(token):
    return (OutboxMessage.claim_token == token) & (OutboxMessage.status == "sending")


RELEASED = {"status": "pending", "claim_token": None, "attempts": OutboxMessage.attempts - 1}


def _reaped(row, transport, now, in_flight):
    """The changes that resolve a row a crashed sender left in 'sending'; ``in_flight``:
    the row was the one being delivered (the lowest id still held by its claim)."""
    if row.transport == "eml" and isinstance(transport, EmlTransport):
        if transport.delivered(row):
            return {"status": "sent", "sent_at": now, "last_error": ""}
        return {"status": "pending", "next_attempt_at": None,
                "last_error": "上次写入 .eml 时中断，未写出，已重新排队。"}
    if not in_flight:
        return dict(RELEASED)            # never attempted: as if never claimed
    return {"status": "failed", "outcome": OutboxMessage.UNKNOWN, "last_error": UNCERTAIN_ERROR}


def reap_stale_sending(settings, now=None, transport=None, result=None):
    """Resolve rows left in 'sending' by a crashed sender (see the module docstring),
    one claim per commit; the number of rows resolved."""
    now = now or utcnow()
    result = result or SendResult()
    transport = transport or make_transport(settings)
    stale = list(OutboxMessage.select().where(
        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - settings.lease))
        .order_by(OutboxMessage.id))
    claims = {}
    for row in stale:
        claims.setdefault(row.claim_token, []).append(row)
    for token, rows in claims.items():
        with tx.write():
            for index, row in enumerate(rows):
                changes = _reaped(row, transport, now, in_flight=index == 0)
                done = OutboxMessage.update(**changes).where(
                    (OutboxMessage.id == row.id) & _held(token)).execute()
                if done and changes.get("outcome") == OutboxMessage.UNKNOWN:
                    result.unknown += 1
    result.reaped += len(stale)
    return len(stale)


def _claim_rows(rows, now, transport_name, force=False, claimed_at=None):
    """Claim the rows that are still pending (and due at ``now``) in ONE commit: they
    move to 'sending' under a fresh token. Returns (token, ids claimed)."""
    token = secrets.token_hex(8)
    ids = [row.id for row in rows]
    if not ids:
        return token, set()
    cond = OutboxMessage.id.in_(ids)
    cond &= (OutboxMessage.status == "pending") if force else _due(now)
    with tx.write():
        count = (OutboxMessage.update(status="sending", claimed_at=claimed_at or utcnow(),
                                      claim_token=token, attempts=OutboxMessage.attempts + 1,
                                      transport=transport_name)
                 .where(cond).execute())
        if count == len(set(ids)):      # the usual case: every row was still there to claim
            return token, set(ids)
        claimed = {i for (i,) in OutboxMessage.select(OutboxMessage.id)
                   .where(OutboxMessage.id.in_(ids) & (OutboxMessage.claim_token == token))
                   .tuples()}
    return token, claimed


def _claim(row, now, transport_name, force=False, claimed_at=None):
    """Claim one row; its claim token, or None when it was not pending (and due)."""
    token, claimed = _claim_rows([row], now, transport_name, force, claimed_at)
    return token if claimed else None


# 督办 reminders and the 60天未推进 nudge (services.reminders): judged by the user's
# ``remind_email`` preference instead of the weekly summary's.
REMINDER_KIND, NUDGE_KIND = "reminder", "nudge"
REMINDER_KINDS = frozenset({REMINDER_KIND, NUDGE_KIND})


def _opted_out(row):
    if row.kind == "test":
        return ""
    user = row.user
    if user is None or not user.active:
        return "收件人已停用"
    if row.kind in REMINDER_KINDS:
        if not user.remind_email:
            return "收件人已关闭督办提醒邮件"
    elif not user.wants_summary:
        return "收件人已退订周报"
    if (user.email or "").lower() != row.to_addr.lower():
        return "收件人邮箱已变更"
    return ""


def _cancel_opted_out(rows, result):
    """Cancel the pending rows whose recipient opted out; the others, still to send."""
    live = []
    for row in rows:
        reason = _opted_out(row)
        if not reason:
            live.append(row)
            continue
        with tx.write():
            result.cancelled += OutboxMessage.update(status="cancelled", last_error=reason).where(
                (OutboxMessage.id == row.id) & (OutboxMessage.status == "pending")).execute()
    return live


def _outcome(row, exc, now, settings, result):
    """The changes recording one answered attempt (``exc``: its DeliveryError or None)."""
    if exc is None:
        result.sent += 1
        return {"status": "sent", "sent_at": utcnow(), "last_error": "", "next_attempt_at": None}
    result.errors.append(f"#{row.id} {row.to_addr}: {exc}")
    if exc.permanent or row.attempts + 1 >= settings.max_attempts:
        result.failed += 1
        return {"status": "failed", "last_error": str(exc)[:2000]}
    result.retry += 1
    return {"status": "pending", "last_error": str(exc)[:2000],
            "next_attempt_at": now + settings.backoff(row.attempts + 1)}


# The claim of a batch's rows still to go is renewed in the commit of an answer once a tenth of
# the lease has passed since the claim or the last renewal (a slow server never lets it run
# out; a quick one costs no second UPDATE per message).
RENEW_PARTS = 10


# The usual answer (taken) recorded by a statement built once per database kind: peewee builds an
# UPDATE in more time than the database takes to run it (bench/bench_reminders.py).
_SENT = Compiled(lambda sent_at, row_id, token: OutboxMessage.update(
    status="sent", sent_at=sent_at, last_error="", next_attempt_at=None).where(
    (OutboxMessage.id == row_id) & (OutboxMessage.claim_token == token)
    & (OutboxMessage.status == "sending")), arity=3)


def _record(claim, row, exc, now, settings, result):
    """Record the answer to ``row`` in ONE commit, right after the server gave it, renewing
    the claim of the batch's rows still to go when it is due. Only rows still held under the
    claim's token are touched."""
    changes = _outcome(row, exc, now, settings, result)
    with tx.write():
        if changes["status"] == "sent":
            _SENT.execute(changes["sent_at"], row.id, claim.token)
        else:
            OutboxMessage.update(**changes).where((OutboxMessage.id == row.id)
                                                  & _held(claim.token)).execute()
        if claim.renew_due(settings.lease.total_seconds() / RENEW_PARTS):
            OutboxMessage.update(claimed_at=utcnow()).where(_held(claim.token)).execute()
            claim.renewed()


def _release(token, rows):
    """Rows claimed but never attempted (the run stopped) go back to pending as before."""
    if rows:
        with tx.write():
            OutboxMessage.update(**RELEASED).where(
                OutboxMessage.id.in_([r.id for r in rows]) & _held(token)).execute()


def _deliver_claimed(token, rows, transport, now, settings, result):
    """Deliver the claimed ``rows`` one by one in id order, each answer recorded before
    the next message starts. Returns the DeliveryError that stopped the run, or None."""
    claim = Claim(token)
    for index, row in enumerate(rows):
        try:
            try:
                transport.deliver(row)
            except DeliveryError as exc:
                _record(claim, row, exc, now, settings, result)
                if exc.unreachable:
                    _release(token, rows[index + 1:])
                    return exc
                continue
            _record(claim, row, None, now, settings, result)
        except Exception:
            # the answer to ``row`` is unknown (it stays 'sending' for the reaper); the
            # rows after it were never attempted
            try:
                _release(token, rows[index + 1:])
            except Exception:  # noqa: BLE001 -- the original error matters, the reaper cleans up
                pass
            raise
    return None


def _send_batch(rows, transport, now, settings, result, force=False):
    """Cancel opted-out rows, claim the rest in one commit, deliver them one by one
    over the open connection, each answer recorded in its own commit. Returns the
    DeliveryError when the server is unreachable (the run stops), else None."""
    live = _cancel_opted_out(rows, result)
    token, claimed = _claim_rows(live, now, transport.name, force)
    return _deliver_claimed(token, [r for r in live if r.id in claimed], transport, now,
                            settings, result)


# What sending a row reads (the rest of the row is for the outbox pages).
SEND_COLUMNS = (OutboxMessage.id, OutboxMessage.week, OutboxMessage.kind, OutboxMessage.user,
                OutboxMessage.to_addr, OutboxMessage.to_name, OutboxMessage.subject,
                OutboxMessage.message_id, OutboxMessage.unsubscribe_url, OutboxMessage.body,
                OutboxMessage.attempts)


def _due_rows(ids, bodies=None):
    """The rows ``ids`` with their user and body; ``bodies`` ({id: OutboxBody}) caches
    the shared bodies across the batches of a run."""
    bodies = {} if bodies is None else bodies
    M = OutboxMessage
    rows = list(M.select(*SEND_COLUMNS, User.id, User.active, User.wants_summary, User.remind_email, User.email)
                .join(User, on=(M.user == User.id), join_type=JOIN.LEFT_OUTER)
                .where(M.id.in_(ids)).order_by(M.id))
    missing = {row.body_id for row in rows} - bodies.keys()
    if missing:
        bodies.update((b.id, b) for b in OutboxBody.select().where(OutboxBody.id.in_(missing)))
    for row in rows:
        row.body = bodies[row.body_id]
    return rows


def waiting(now=None):
    """(number, earliest, latest retry time) of the pending rows waiting for their
    retry time at ``now``."""
    now = now or utcnow()
    M = OutboxMessage
    count, first, last = (M.select(fn.COUNT(M.id), fn.MIN(M.next_attempt_at),
                                   fn.MAX(M.next_attempt_at))
                          .where((M.status == "pending") & (M.next_attempt_at > now))
                          .tuples().get())
    return count or 0, first, last


def send_pending(settings, now=None, limit=None, batch=None):
    """Deliver every due pending row (oldest first), MAIL_BATCH rows per claim. One run
    reuses one connection and stops at the first sign that the server is
    unreachable. The result tells how many rows are left waiting for a retry."""
    now = now or utcnow()
    batch = max(1, int(batch or settings.batch))
    transport = make_transport(settings)
    result = SendResult(transport=transport.name)
    reap_stale_sending(settings, now, transport, result)
    ids = [r[0] for r in OutboxMessage.select(OutboxMessage.id).where(_due(now))
           .order_by(OutboxMessage.id).limit(limit).tuples()]
    bodies = {}
    try:
        for start in range(0, len(ids), batch):
            rows = _due_rows(ids[start:start + batch], bodies)
            stop = _send_batch(rows, transport, now, settings, result)
            if stop is not None:
                result.stopped = str(stop)
                break
    finally:
        transport.close()
    count, first, last = waiting(now)
    result.waiting, result.waiting_until = count, ((first, last) if count else ())
    return result


def send_now(row_id, settings):
    """Deliver one pending row immediately, ignoring its retry time ("send a test")."""
    transport = make_transport(settings)
    result = SendResult(transport=transport.name)
    rows = _due_rows([row_id])
    if not rows:
        return result
    try:
        _send_batch(rows, transport, utcnow(), settings, result, force=True)
    finally:
        transport.close()
    return result
