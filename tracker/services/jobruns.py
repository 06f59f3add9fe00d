"""Job-run bookkeeping: the JobRun rows that make each scheduled job run once per period.

UNIQUE (job, period_key) is the lock between scheduler processes: the process whose INSERT
succeeds owns the period, the others get an IntegrityError and do nothing. A failed (or
abandoned) run is re-claimed by an UPDATE conditional on the outcome and attempt count it
read, so only one process can win it. The policy (which periods, how many attempts) is the
scheduler's (``tracker.scheduler``); these functions only read and write the rows.
"""
from peewee import IntegrityError

from ..models import JobRun
from . import tx

DETAIL_LIMIT = 4000
RUNNING, OK, FAILED = JobRun.RUNNING, JobRun.OK, JobRun.FAILED


def insert_claim(job, key, now):
    """The new JobRun (running, attempt 1) when this process is first to claim ``job``/``key``;
    None when a row already exists."""
    try:
        with tx.write():
            return JobRun.create(job=job, period_key=key, outcome=RUNNING, attempts=1,
                                 started_at=now)
    except IntegrityError:
        return None


def get(job, key):
    return JobRun.get_or_none((JobRun.job == job) & (JobRun.period_key == key))


def reclaim(run, now):
    """Take over ``run`` (failed or abandoned) as read: the refreshed row when this process won,
    None when another process changed it first."""
    with tx.write():
        won = (JobRun
               .update(outcome=RUNNING, attempts=run.attempts + 1, started_at=now,
                       finished_at=None)
               .where((JobRun.id == run.id) & (JobRun.outcome == run.outcome)
                      & (JobRun.attempts == run.attempts))
               .execute())
    return JobRun.get_by_id(run.id) if won == 1 else None


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
