"""Delivery of the robot outbox (RobotMessage), with services.mail.delivery's guarantees:

1. Due rows are *claimed* ``batch`` at a time in ONE commit (pending and due -> sending
   under a fresh token, ``attempts`` + 1); two senders never claim the same row.
2. The claimed rows are posted one by one in id order; each answer is recorded in its
   own commit right after the robot gave it, and that commit renews the claim time of
   the batch's rows still to go. What an answer means (transport.RobotError): sent;
   back to pending with a back-off (network error; a rate-limit answer waits
   ``rate_wait`` without using up an attempt); failed and the robot marked broken
   (invalid URL/key/signature: the bureau sees it on the outbox page); failed with
   outcome unknown (状态未知: sent, no answer -- never resent automatically).
3. A crash leaves in 'sending' the one row in flight (the lowest id of its claim) and
   the rows after it. Once the lease has run out the next run marks the one in flight
   failed/unknown and gives the others back to pending (:func:`reap_stale_sending`).
4. Each robot takes at most ``per_minute`` messages per 60 s, counted from the database
   (rows sent in the last 60 s or being sent), so several senders together keep it.
   A robot that is rate-limited, unreachable, broken or in doubt gets nothing more in
   this run: its other claimed rows go back to pending untouched.
"""
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from peewee import fn

from ...domain.robots import redact
from ...models import GroupRobot, RobotMessage, utcnow
from .. import tx
from ..compiled import Compiled
from ..jobqueue import Claim
from .transport import BROKEN, RATE, RETRY, UNKNOWN, RobotError, post

UNCERTAIN_ERROR = ("发送过程中断：无法确认机器人是否已发出，为避免重复未自动重发。"
                   "请到群里查看：已收到则标记“已确认送达”，未收到则重发。")
M = RobotMessage
RENEW_AFTER = 30          # seconds between two renewals of a batch's claim (lease >= 300 s)


@dataclass
class RobotResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0          # answered nothing usable after sending, or reaped in flight
    reaped: int = 0
    broken: int = 0           # robots marked broken in this run
    waiting: int = 0          # rows left pending (retry time, rate limit)
    errors: list = field(default_factory=list)

    def summary(self):
        text = (f"机器人消息：已发送 {self.sent} 条，待重试 {self.retry} 条，失败 {self.failed} 条，"
                f"状态未知 {self.unknown} 条")
        if self.broken:
            text += f"，地址失效的机器人 {self.broken} 个"
        if self.reaped:
            text += f"，处理中断的发送 {self.reaped} 条"
        return text + f"；仍在排队 {self.waiting} 条"


def _due(now):
    return (M.status == "pending") & (M.next_attempt_at.is_null() | (M.next_attempt_at <= now))


def _held(token):
    return (M.claim_token == token) & (M.status == "sending")


RELEASED = {"status": "pending", "claim_token": None, "attempts": M.attempts - 1}


def reap_stale_sending(settings, now=None, result=None):
    """Resolve rows a crashed sender left in 'sending' (lease run out): per claim, the
    lowest id (in flight) -> failed/unknown, the rest -> pending. One commit per claim."""
    now = now or utcnow()
    result = result if result is not None else RobotResult()
    stale = list(M.select(M.id, M.claim_token).where(
        (M.status == "sending") & (M.claimed_at < now - settings.lease)).order_by(M.id))
    claims = {}
    for row in stale:
        claims.setdefault(row.claim_token, []).append(row.id)
    expired = M.claimed_at < now - settings.lease    # judged again in the UPDATE: a slow sender
    for token, ids in claims.items():                # that renewed meanwhile keeps its rows
        with tx.write():
            result.unknown += M.update(status="failed", outcome=M.UNKNOWN, claim_token=None,
                                       last_error=UNCERTAIN_ERROR).where(
                (M.id == ids[0]) & _held(token) & expired).execute()
            if ids[1:]:
                M.update(**RELEASED).where(M.id.in_(ids[1:]) & _held(token) & expired).execute()
    result.reaped += len(stale)
    return len(stale)


def _budgets(robot_ids, settings, now):
    """{robot id: messages it may still take in the current 60 s}."""
    recent = ((M.sent_at >= now - timedelta(seconds=60)) | (M.status == "sending"))
    used = dict(M.select(M.robot, fn.COUNT(M.id)).where(M.robot.in_(robot_ids) & recent)
                .group_by(M.robot).tuples())
    return {r: max(0, settings.per_minute - used.get(r, 0)) for r in robot_ids}


def _candidates(now, limit, only_robot=None):
    """Due rows of live robots, oldest first: [(id, robot_id)]."""
    query = (M.select(M.id, M.robot).join(GroupRobot, on=(M.robot == GroupRobot.id))
             .where(_due(now) & (GroupRobot.state == "ok")))
    if only_robot is not None:
        query = query.where(M.robot == only_robot)
    return list(query.order_by(M.id).limit(limit).tuples())


def _within_budget(pairs, settings, now):
    """The ids of ``pairs`` [(id, robot id)] their robots may still take in the current
    60 s, counted after locking the robots: two senders never overrun a robot together."""
    robot_ids = sorted({r for _i, r in pairs})
    tx.lock_all(GroupRobot.select(GroupRobot.id).where(GroupRobot.id.in_(robot_ids)))
    budgets = _budgets(robot_ids, settings, now)
    return _pick(pairs, budgets, len(pairs), set(), set())


def _claim(pairs, now, settings=None):
    """Claim the rows of ``pairs`` [(id, robot id)] still pending and due (and, with
    ``settings``, within their robots' per-minute budgets) in ONE commit:
    (Claim, claimed ids)."""
    claim = Claim(secrets.token_hex(8))
    if not pairs:
        return claim, set()
    with tx.write():
        ids = _within_budget(pairs, settings, now) if settings is not None else [i for i, _r in pairs]
        if not ids:
            return claim, set()
        count = M.update(status="sending", claimed_at=utcnow(), claim_token=claim.token,
                         attempts=M.attempts + 1).where(M.id.in_(ids) & _due(now)).execute()
        if count == len(ids):
            return claim, set(ids)
        claimed = {i for (i,) in M.select(M.id).where(M.id.in_(ids) & (M.claim_token == claim.token))
                   .tuples()}
    return claim, claimed


def _outcome(row, exc, now, settings, result):
    """The changes recording one answered attempt (``exc``: its RobotError or None)."""
    if exc is None:
        result.sent += 1
        return {"status": "sent", "sent_at": utcnow(), "last_error": "", "claim_token": None}
    error = redact(exc, row.robot.webhook_url, row.robot.secret)[:2000]
    result.errors.append(f"#{row.id} {row.robot.name}: {error}")
    if exc.verdict == RATE:
        result.retry += 1
        return {"status": "pending", "last_error": error, "attempts": M.attempts - 1,
                "next_attempt_at": now + timedelta(seconds=settings.rate_wait), "claim_token": None}
    if exc.verdict == UNKNOWN:
        result.unknown += 1
        return {"status": "failed", "outcome": M.UNKNOWN, "last_error": error, "claim_token": None}
    if exc.verdict == BROKEN or row.attempts >= settings.max_attempts:
        result.failed += 1
        return {"status": "failed", "last_error": error, "claim_token": None}
    result.retry += 1
    return {"status": "pending", "last_error": error, "claim_token": None,
            "next_attempt_at": now + settings.backoff(row.attempts)}


# The usual answer (taken) recorded by a statement built once per database kind: peewee builds
# an UPDATE in twice the time the database needs to write it (bench/bench_notify.py). The
# indexed next_attempt_at is left as it is.
_SENT = Compiled(lambda sent_at, row_id, token: M.update(
    status="sent", sent_at=sent_at, last_error="", claim_token=None).where(
    (M.id == row_id) & (M.claim_token == token) & (M.status == "sending")), arity=3)


def _write(row, changes, token):
    """The row's UPDATE (only while ``token`` still holds it): the prepared statement for a
    message the robot took, else the query peewee builds."""
    if changes["status"] == "sent":
        _SENT.execute(changes["sent_at"], row.id, token)
    else:
        M.update(**changes).where((M.id == row.id) & _held(token)).execute()


def _record(claim, row, exc, now, settings, result):
    """Record the answer to ``row`` in ONE commit (with the robot marked broken when the
    answer says so), renewing the claim of the batch's rows still to go now and then."""
    changes = _outcome(row, exc, now, settings, result)
    token = claim.token
    with tx.write():
        _write(row, changes, token)
        if claim.renew_due(RENEW_AFTER):
            M.update(claimed_at=utcnow()).where(_held(token)).execute()
            claim.renewed()
        if exc is not None and exc.verdict == RATE:      # the whole robot waits
            M.update(next_attempt_at=changes["next_attempt_at"]).where(
                (M.robot == row.robot_id) & ((M.status == "pending") | _held(token))
                & (M.next_attempt_at.is_null() | (M.next_attempt_at < changes["next_attempt_at"]))).execute()
        if exc is not None and exc.verdict == BROKEN:
            result.broken += GroupRobot.update(
                state="broken", broken_at=utcnow(), broken_reason=changes["last_error"][:500]).where(
                (GroupRobot.id == row.robot_id) & (GroupRobot.state == "ok")).execute()


def _release(token, ids):
    if ids:
        with tx.write():
            M.update(**RELEASED).where(M.id.in_(ids) & _held(token)).execute()


def _rows(ids):
    rows = list(M.select(M, GroupRobot).join(GroupRobot, on=(M.robot == GroupRobot.id))
                .where(M.id.in_(ids)).order_by(M.id))
    return rows


def _deliver(claim, rows, now, settings, result, poster, stopped):
    """Post the claimed rows in id order, each answer recorded before the next post;
    ``stopped``: the robots that get nothing more this run (grows here)."""
    for index, row in enumerate(rows):
        if row.robot_id in stopped:
            _release(claim.token, [row.id])
            continue
        try:
            try:
                poster(row.robot, row, settings.timeout, tuple(json.loads(row.mentions or "[]")))
                exc = None
            except RobotError as error:
                exc = error
            _record(claim, row, exc, now, settings, result)
        except Exception:
            # the answer to ``row`` is unknown (it stays 'sending' for the reaper)
            try:
                _release(claim.token, [r.id for r in rows[index + 1:]])
            except Exception:  # noqa: BLE001 -- the original error matters; the reaper cleans up
                pass
            raise
        if exc is not None and exc.verdict in (RATE, RETRY, BROKEN, UNKNOWN):
            stopped.add(row.robot_id)


def _pick(candidates, budgets, size, done, stopped):
    """The first ``size`` candidates within their robots' budgets (budgets are spent),
    neither ``done`` already nor of a robot ``stopped`` in this run."""
    picked = []
    for row_id, robot_id in candidates:
        if row_id not in done and robot_id not in stopped and budgets.get(robot_id, 0) > 0:
            budgets[robot_id] -= 1
            picked.append(row_id)
            if len(picked) >= size:
                break
    return picked


def send_pending(settings, now=None, limit=None, robot_id=None, poster=post):
    """Post every due pending message of the live robots (oldest first), within each
    robot's per-minute budget, ``settings.batch`` rows per claim."""
    now = now or utcnow()
    result = RobotResult()
    reap_stale_sending(settings, now, result)
    candidates = _candidates(now, limit, robot_id)
    budgets = _budgets(sorted({r for _i, r in candidates}), settings, now) if candidates else {}
    done, stopped = set(), set()
    robot_of = dict(candidates)
    while True:
        ids = _pick(candidates, budgets, settings.batch, done, stopped)
        if not ids:
            break
        done.update(ids)
        claim, claimed = _claim([(i, robot_of[i]) for i in ids], now, settings)
        _deliver(claim, _rows(sorted(claimed)), now, settings, result, poster, stopped)
    result.waiting = M.select().where(M.status == "pending").count()
    return result


def send_one(row_id, settings, poster=post):
    """Post one pending row at once, whatever its retry time, its robot's state or budget
    ("发送测试消息")."""
    result = RobotResult()
    with tx.write():
        M.update(next_attempt_at=None).where((M.id == row_id) & (M.status == "pending")).execute()
    claim, claimed = _claim([(row_id, None)], utcnow())
    _deliver(claim, _rows(sorted(claimed)), utcnow(), settings, result, poster, set())
    return result
