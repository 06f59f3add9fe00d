"""A person's decision about a robot message in doubt (状态未知) or failed, each one
transaction that locks the row first and writes one audit row ("resend" /
"confirm_delivered"), as services.mail.decisions does for mail."""
from ...domain.errors import ValidationError
from ...models import RobotMessage, utcnow
from .. import audit, tx

MISSING = "机器人消息不存在。"
ONLY_FAILED = "只有发送失败或状态未知的消息可以重发。"
ONLY_IN_DOUBT = "只有状态未知的消息可以确认送达。"
M = RobotMessage


def in_doubt(row, settings, now=None):
    """Whether the robot may or may not have posted ``row`` (sent, no answer; or a crashed
    sender's row still 'sending' after its lease)."""
    if row.status == "failed":
        return row.outcome == M.UNKNOWN
    now = now or utcnow()
    return row.status == "sending" and row.claimed_at is not None and row.claimed_at < now - settings.lease


def _decide(row_id, actor, action, changes, allowed, message):
    try:
        row_id = int(row_id)
    except (TypeError, ValueError, OverflowError):
        row_id = 0
    with tx.write():
        row = tx.lock(M, M.id == row_id, missing=MISSING)
        if not allowed(row):
            raise ValidationError({"status": message})
        before, after = audit.changed({k: getattr(row, k) for k in changes}, changes)
        M.update(**after).where(M.id == row.id).execute()
        audit.record(actor, "robot_message", row.id, action, before, after)
    return row


def requeue(row_id, actor, settings, now=None):
    """重发: a failed or in-doubt message goes back to the queue with a fresh attempt budget."""
    changes = {"status": "pending", "attempts": 0, "next_attempt_at": None, "claim_token": None,
               "last_error": "", "outcome": ""}
    return _decide(row_id, actor, "resend", changes,
                   lambda row: row.status == "failed" or in_doubt(row, settings, now), ONLY_FAILED)


def confirm_delivered(row_id, actor, settings, now=None):
    """确认送达: an in-doubt message is marked delivered after someone saw it in the group."""
    changes = {"status": "sent", "outcome": M.CONFIRMED, "claim_token": None, "next_attempt_at": None,
               "last_error": ""}
    return _decide(row_id, actor, "confirm_delivered", changes,
                   lambda row: in_doubt(row, settings, now), ONLY_IN_DOUBT)
