"""Job-run bookkeeping: the JobRun rows that make each scheduled job run once per period.

UNIQUE (job, period_key) is the lock between scheduler processes: the process whose INSERT
succeeds owns the period, the others get an IntegrityError and do nothing. A failed (or
finished but incomplete) run is re-claimed by an UPDATE conditional on the outcome and
attempt count it read, so only one process can win it; a running run whose owner is gone is
taken over the same way, also conditional on the heartbeat it read. Every row names its
owner (host, pid) and the running owner refreshes ``heartbeat_at``. The policy (which
periods, how many attempts, when an owner counts as gone) is the scheduler's
(``tracker.scheduler``, ``tracker.job_owner``); these functions only read and write the rows.
"""
from peewee import IntegrityError

from ..models import JobRun
from . import audit, tx

DETAIL_LIMIT = 4000
HOST_LIMIT = 255
RUNNING, OK, FAILED = JobRun.RUNNING, JobRun.OK, JobRun.FAILED


def _owner(owner):
    host, pid = owner if owner else ("", None)
    return {"host": (host or "")[:HOST_LIMIT], "pid": pid}


def insert_claim(job, key, now, owner=None):
    """The new JobRun (running, attempt 1, owned by ``owner`` = (host, pid)) when this process
    is first to claim ``job``/``key``; None when a row already exists."""
    try:
        with tx.write():
            return JobRun.create(job=job, period_key=key, outcome=RUNNING, attempts=1,
                                 started_at=now, heartbeat_at=now, **_owner(owner))
    except IntegrityError:
        return None


def get(job, key):
    return JobRun.get_or_none((JobRun.job == job) & (JobRun.period_key == key))


def _as_read(run):
    """The conditions that make an UPDATE win only against the row as ``run`` read it."""
    beat = (JobRun.heartbeat_at.is_null() if run.heartbeat_at is None
            else JobRun.heartbeat_at == run.heartbeat_at)
    return ((JobRun.id == run.id) & (JobRun.outcome == run.outcome)
            & (JobRun.attempts == run.attempts) & beat)


def reclaim(run, now, owner=None, detail=""):
    """Take over ``run`` (failed, finished, or running with its owner gone) as read: the
    refreshed row when this process won, None when another process changed it first.
    ``detail`` is kept as the new attempt's opening note (a take-over says whose run it was)."""
    with tx.write():
        won = (JobRun
               .update(outcome=RUNNING, attempts=run.attempts + 1, started_at=now,
                       finished_at=None, heartbeat_at=now, detail=detail[:DETAIL_LIMIT],
                       **_owner(owner))
               .where(_as_read(run))
               .execute())
    return JobRun.get_by_id(run.id) if won == 1 else None


def owner_of(run):
    """Plain dict of who held ``run`` (for the audit trail and messages)."""
    return {"outcome": run.outcome, "attempts": run.attempts, "host": run.host, "pid": run.pid,
            "started_at": run.started_at, "heartbeat_at": run.heartbeat_at}


def take_over(run, now, owner, reason):
    """Take over the running ``run`` whose owner is gone: like reclaim, plus one audit row
    (job_run / take_over: the old owner -> the new one, with ``reason``) in the same
    transaction. The refreshed row, or None when another process won it."""
    note = f"接管：原进程 {run.host or '?'}:{run.pid or '?'}（{reason}）"
    with tx.write():
        taken = reclaim(run, now, owner, detail=note)
        if taken is not None:
            audit.record(None, "job_run", run.id, "take_over", owner_of(run),
                         dict(owner_of(taken), reason=reason, job=run.job,
                              period_key=run.period_key))
    return taken


def heartbeat(run, now):
    """Refresh the heartbeat of our own ``run``; False once it is no longer ours (finished,
    or taken over by another process)."""
    ours = (JobRun.id == run.id) & (JobRun.attempts == run.attempts) & (JobRun.outcome == RUNNING)
    with tx.write():
        if JobRun.update(heartbeat_at=now).where(ours).execute() == 1:
            return True
        # MySQL counts changed rows, not matched ones: a beat within the same second of
        # DATETIME changes nothing, so ask whether the row is still ours.
        return JobRun.select().where(ours).exists()


def finish(run, outcome, detail, now):
    """Record the outcome of ``run`` (unless another process has re-claimed it since)."""
    with tx.write():
        (JobRun.update(outcome=outcome, finished_at=now, detail=(detail or "")[:DETAIL_LIMIT])
         .where((JobRun.id == run.id) & (JobRun.attempts == run.attempts))
         .execute())
    return JobRun.get_by_id(run.id)


def runs_by_key(job, keys):
    """{period_key: JobRun} of ``job`` for the given period keys."""
    if not keys:
        return {}
    return {r.period_key: r for r in JobRun.select().where(
        (JobRun.job == job) & JobRun.period_key.in_(list(keys)))}


def latest(job):
    """The most recently started run of ``job``, or None."""
    return (JobRun.select().where(JobRun.job == job)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc()).first())


def latest_runs(jobs):
    """{job: latest JobRun or None} for every job name in ``jobs``."""
    return {job: latest(job) for job in jobs}


def open_runs(jobs, limit=20):
    """{job: [JobRun]} of the runs still running or failed, newest first (at most ``limit``
    per job): what an operator has to look at."""
    return {job: list(JobRun.select()
                      .where((JobRun.job == job) & JobRun.outcome.in_([RUNNING, FAILED]))
                      .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit))
            for job in jobs}
