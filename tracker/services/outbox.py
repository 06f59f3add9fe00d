"""Delivery state of outbox rows: claim, deliver, record, reap, requeue.

Delivery guarantee (per outbox row):

1. Before talking to the mail server rows are *claimed*, MAIL_BATCH (default 25) at a
   time: one committed UPDATE moves the rows that are still pending and due to
   ``sending`` under a fresh claim token and bumps ``attempts``. Two senders
   (scheduler + CLI, two hosts) can never claim the same row, so no row is sent
   twice concurrently.
2. The Message-ID was fixed when the row was built and never changes, so every
   attempt of a row is the same message to the receiving side.
3. The claimed messages go out one by one over one connection; then the outcomes
   are recorded in one commit: ``sent`` with ``sent_at`` for each message the
   server accepted (250 after DATA); for a failure that proves the server did not
   take it (connection refused, 4xx/5xx to MAIL/RCPT/DATA) back to ``pending`` with
   the error and a back-off retry time, or ``failed`` on a 5xx or the last allowed
   attempt; rows not attempted because the run stopped go back to ``pending``.
4. A crash (or a lost database connection) between the claim and the record leaves
   that batch in ``sending``. Those rows are NOT retried automatically: once their
   lease (MAIL_SENDING_LEASE, default 15 min, far above the SMTP timeouts) has
   expired the next run marks them ``failed`` with "state unknown", so a person
   decides (the outbox page offers "resend", which reuses the same Message-ID, so
   clients that collapse duplicate Message-IDs show one copy). At most MAIL_BATCH
   rows per crashed sender need that decision; MAIL_BATCH=1 narrows it to the one
   message in flight at the price of two commits per message.
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

from peewee import JOIN

from ..domain.errors import ValidationError
from ..models import OutboxBody, OutboxMessage, User, utcnow
from . import audit, tx
from .mail_transport import DeliveryError, EmlTransport, make_transport

UNCERTAIN_ERROR = ("发送过程中断：无法确认邮件服务器是否已接收，为避免重复未自动重发。"
                   "确认收件人未收到后，可在发件箱中重发（Message-ID 不变）。")
MISSING = "邮件不存在。"
ONLY_FAILED = "只有发送失败的邮件可以重发。"


@dataclass
class SendResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    reaped: int = 0
    stopped: str = ""            # why the run stopped early (server unreachable)
    errors: list = field(default_factory=list)

    def summary(self):
        text = (f"已发送 {self.sent} 封，待重试 {self.retry} 封，失败 {self.failed} 封，"
                f"已取消 {self.cancelled} 封")
        if self.reaped:
            text += f"，处理中断的发送 {self.reaped} 封"
        if self.stopped:
            text += f"；提前停止：{self.stopped}"
        return text


def _due(now):
    return (OutboxMessage.status == "pending") & (
        OutboxMessage.next_attempt_at.is_null() | (OutboxMessage.next_attempt_at <= now))


def _reaped(row, transport, now):
    """The changes that resolve a row a crashed sender left in 'sending'."""
    if row.transport == "eml" and isinstance(transport, EmlTransport):
        if transport.delivered(row):
            return {"status": "sent", "sent_at": now, "last_error": ""}
        return {"status": "pending", "next_attempt_at": None,
                "last_error": "上次写入 .eml 时中断，未写出，已重新排队。"}
    return {"status": "failed", "last_error": UNCERTAIN_ERROR}


def reap_stale_sending(settings, now=None, transport=None):
    """Resolve rows left in 'sending' by a crashed sender (see the module docstring)."""
    now = now or utcnow()
    transport = transport or make_transport(settings)
    stale = list(OutboxMessage.select().where(
        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - settings.lease)))
    for row in stale:
        with tx.write():
            OutboxMessage.update(**_reaped(row, transport, now)).where(
                (OutboxMessage.id == row.id) & (OutboxMessage.status == "sending")
                & (OutboxMessage.claim_token == row.claim_token)).execute()
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


def _opted_out(row):
    if row.kind == "test":
        return ""
    user = row.user
    if user is None or not user.active:
        return "收件人已停用"
    if not user.wants_summary:
        return "收件人已退订周报"
    if (user.email or "").lower() != row.to_addr.lower():
        return "收件人邮箱已变更"
    return ""


def _record_failure(row, exc, held, now, settings, result):
    attempts = row.attempts + 1
    if exc.permanent or attempts >= settings.max_attempts:
        changes = {"status": "failed"}
        result.failed += 1
    else:
        changes = {"status": "pending", "next_attempt_at": now + settings.backoff(attempts)}
        result.retry += 1
    (OutboxMessage.update(last_error=str(exc)[:2000], **changes)
     .where((OutboxMessage.id == row.id) & held).execute())
    result.errors.append(f"#{row.id} {row.to_addr}: {exc}")


def _record(token, now, outcome, settings, result):
    """Write the outcome ``(sent, failed, released)`` of one claimed batch in ONE
    commit. Only rows still held under ``token`` are touched."""
    sent, failed, released = outcome
    held = (OutboxMessage.claim_token == token) & (OutboxMessage.status == "sending")
    with tx.write():
        if sent:
            (OutboxMessage.update(status="sent", sent_at=utcnow(), last_error="",
                                  next_attempt_at=None)
             .where(OutboxMessage.id.in_([r.id for r in sent]) & held).execute())
        for row, exc in failed:
            _record_failure(row, exc, held, now, settings, result)
        if released:   # claimed but never attempted (the run stopped): as before
            (OutboxMessage.update(status="pending", claim_token=None,
                                  attempts=OutboxMessage.attempts - 1)
             .where(OutboxMessage.id.in_([r.id for r in released]) & held).execute())
    result.sent += len(sent)


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


def _deliver_all(rows, transport):
    """Deliver ``rows`` one by one; ((sent, failed, released), the DeliveryError that
    stopped the run or None)."""
    sent, failed, released, stop = [], [], [], None
    for row in rows:
        if stop is not None:
            released.append(row)
            continue
        try:
            transport.deliver(row)
        except DeliveryError as exc:
            failed.append((row, exc))
            if exc.unreachable:
                stop = exc
            continue
        sent.append(row)
    return (sent, failed, released), stop


def _send_batch(rows, transport, now, settings, result, force=False):
    """Cancel opted-out rows, claim the rest in one commit, deliver them one by one
    over the open connection, record the outcomes in one commit. Returns the
    DeliveryError when the server is unreachable (the run stops), else None."""
    live = _cancel_opted_out(rows, result)
    token, claimed = _claim_rows(live, now, transport.name, force)
    outcome, stop = _deliver_all([r for r in live if r.id in claimed], transport)
    _record(token, now, outcome, settings, result)
    return stop


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
    rows = list(M.select(*SEND_COLUMNS, User.id, User.active, User.wants_summary, User.email)
                .join(User, on=(M.user == User.id), join_type=JOIN.LEFT_OUTER)
                .where(M.id.in_(ids)).order_by(M.id))
    missing = {row.body_id for row in rows} - bodies.keys()
    if missing:
        bodies.update((b.id, b) for b in OutboxBody.select().where(OutboxBody.id.in_(missing)))
    for row in rows:
        row.body = bodies[row.body_id]
    return rows


def send_pending(settings, now=None, limit=None, batch=None):
    """Deliver every due pending row (oldest first), MAIL_BATCH rows per claim/record
    commit. One run reuses one connection and stops at the first sign that the
    server is unreachable."""
    now = now or utcnow()
    batch = max(1, int(batch or settings.batch))
    result = SendResult()
    transport = make_transport(settings)
    result.reaped = reap_stale_sending(settings, now, transport)
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
    return result


def send_now(row_id, settings):
    """Deliver one pending row immediately, ignoring its retry time ("send a test")."""
    result = SendResult()
    rows = _due_rows([row_id])
    if not rows:
        return result
    transport = make_transport(settings)
    try:
        _send_batch(rows, transport, utcnow(), settings, result, force=True)
    finally:
        transport.close()
    return result


REQUEUED = {"status": "pending", "attempts": 0, "next_attempt_at": None, "claim_token": None,
            "last_error": ""}


def requeue(row_id, actor=None):
    """A failed row goes back to the queue with a fresh attempt budget (same Message-ID),
    with one audit row ("resend"). Raises NotFound for a missing row and
    ValidationError when the row is not failed (nothing is written)."""
    with tx.write():
        row = tx.lock_id(OutboxMessage, row_id, missing=MISSING)
        if row.status != "failed":
            raise ValidationError({"status": ONLY_FAILED})
        before, after = audit.changed({k: getattr(row, k) for k in REQUEUED}, REQUEUED)
        OutboxMessage.update(**after).where(OutboxMessage.id == row.id).execute()
        audit.record(actor, "outbox_message", row.id, "resend", before, after)
    return row.id
