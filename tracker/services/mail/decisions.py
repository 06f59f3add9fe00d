"""A person's (or operator's) decisions about outbox rows, each one transaction that
locks first and writes one audit row:

- ``requeue``: a failed or in-doubt message goes back to the queue (重发, same
  Message-ID);
- ``confirm_delivered``: an in-doubt message is marked 已确认送达 (sent, outcome
  "confirmed") after the recipient confirmed it arrived;
- ``retry_now``: after an outage, the pending messages waiting for their retry time
  become due at once (立即重试待发邮件 / ``summaries send --retry-now``).

A message is *in doubt* when a sender crashed while it was in flight: failed with
outcome "unknown", or still 'sending' after its lease ran out (not yet reaped).
"""
from ...domain.errors import ValidationError
from ...models import OutboxMessage, utcnow
from .. import audit, tx
from .delivery import MISSING

ONLY_FAILED = "只有发送失败或状态未知的邮件可以重发。"
ONLY_IN_DOUBT = "只有状态未知的邮件可以确认送达。"

REQUEUED = {"status": "pending", "attempts": 0, "next_attempt_at": None, "claim_token": None,
            "last_error": "", "outcome": ""}
CONFIRMED = {"status": "sent", "outcome": OutboxMessage.CONFIRMED, "claim_token": None,
             "next_attempt_at": None, "last_error": ""}


def in_doubt(row, settings, now=None):
    """Whether the server may or may not have taken ``row`` (a crashed send)."""
    now = now or utcnow()
    if row.status == "failed":
        return row.outcome == OutboxMessage.UNKNOWN
    return (row.status == "sending" and row.claimed_at is not None
            and row.claimed_at < now - settings.lease)


def _decide(row_id, actor, action, changes, allowed):
    """Lock the row, check ``allowed(row)`` (else ValidationError ``allowed.message``),
    write ``changes`` and one audit row ``action`` with what changed."""
    with tx.write():
        row = tx.lock_id(OutboxMessage, row_id, missing=MISSING)
        if not allowed(row):
            raise ValidationError({"status": allowed.message})
        before, after = audit.changed({k: getattr(row, k) for k in changes}, changes)
        OutboxMessage.update(**after).where(OutboxMessage.id == row.id).execute()
        audit.record(actor, "outbox_message", row.id, action, before, after)
    return row.id


def requeue(row_id, actor=None, settings=None, now=None):
    """A failed (or in-doubt) row goes back to the queue with a fresh attempt budget
    (same Message-ID), with one audit row ("resend"). Raises NotFound for a missing
    row and ValidationError otherwise (nothing is written). Without ``settings`` only
    failed rows qualify (the lease of a 'sending' row is unknown)."""
    def allowed(row):
        return row.status == "failed" or (settings is not None and in_doubt(row, settings, now))
    allowed.message = ONLY_FAILED
    return _decide(row_id, actor, "resend", REQUEUED, allowed)


def confirm_delivered(row_id, actor, settings, now=None):
    """An in-doubt row is marked delivered (已确认送达), with one audit row
    ("confirm_delivered"); ValidationError for any other row, NotFound when missing."""
    def allowed(row):
        return in_doubt(row, settings, now)
    allowed.message = ONLY_IN_DOUBT
    return _decide(row_id, actor, "confirm_delivered", CONFIRMED, allowed)


def retry_now(actor=None, now=None):
    """The pending rows waiting for their retry time become due now, in one commit with
    one audit row ("retry_now", the number of rows) when there were any; that number."""
    now = now or utcnow()
    waiting = (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at > now)
    with tx.write():
        count = OutboxMessage.update(next_attempt_at=None).where(waiting).execute()
        if count:
            audit.record(actor, "outbox", None, "retry_now", None, {"rows": count})
    return count
