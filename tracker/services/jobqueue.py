"""Shared plumbing of the jobs kept in a table and run by the scheduler process (issue 18,
"Long work"): import jobs (services.imports.jobs) and export jobs (services.exports.jobs).

A job's model has the columns ``user``, ``state`` (queued | running | done | failed),
``rows_done``, ``rows_total``, ``error``, ``started_at``, ``finished_at``, ``heartbeat_at``,
``host`` and ``pid``. This module holds what every such queue does the same way:

- :func:`claim_next`: the oldest queued row, taken with ``UPDATE … SET state='running',
  host, pid … WHERE id=? AND state='queued'`` (of two processes only one UPDATE matches);
- :func:`fail` and :func:`finish`: conditional on the row still being as it was read
  (state and started_at), so a job failed as stale meanwhile is never marked done;
- :func:`dead` and :func:`refresh`: why a running job's worker is gone (its pid gone from
  this host, or no sign of life for ``stale_after``), and the job failed for it;
- :func:`progress` and :func:`status`: rows done of total, from the row or, while it runs,
  from the job's progress file (``found``: ``(done, total, unix time)`` read from it);
- :class:`Beat`: rows done and a heartbeat written every second from its own thread
  (and its own connection) while the work runs;
- :class:`Claim`: the token of a batch of outbox rows (mail, robot messages) a sender holds,
  and when their lease was last renewed.
"""
import datetime
import json
import logging
import os
import threading
import time

from .. import job_owner
from ..db import database
from ..domain.errors import NotFound
from ..models import utcnow
from . import tx

log = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ERROR_LIMIT = 4000


class JobLost(Exception):
    """The job is no longer ours (failed as stale meanwhile): its work is dropped."""


def get(model, job_id, missing):
    """The job of ``model`` with ``job_id``; NotFound (``missing``) outside the id column's
    range too."""
    if not 0 < int(job_id) < 2 ** 31:
        raise NotFound(missing)
    job = model.get_or_none(model.id == int(job_id))
    if job is None:
        raise NotFound(missing)
    return job


def in_flight(model, user_id):
    """The user's jobs of ``model`` that are queued or running, oldest first."""
    return list(model.select().where((model.user == user_id)
                                     & model.state.in_([QUEUED, RUNNING]))
                .order_by(model.id))


def started(model, job):
    """The condition "``job``'s row was started when it was read" (None matches None)."""
    return (model.started_at.is_null() if job.started_at is None
            else model.started_at == job.started_at)


def fail(model, job, message, now=None):
    """Mark ``job`` failed unless it changed since it was read; whether it was."""
    with tx.write():
        won = (model.update(state=FAILED, error=(message or "")[:ERROR_LIMIT],
                            finished_at=now or utcnow())
               .where((model.id == job.id) & (model.state == job.state) & started(model, job))
               .execute())
    return won == 1


def finish(model, job, **values):
    """The UPDATE marking the running ``job`` done with ``values`` (executed by the caller,
    inside its own transaction); matches nothing when the job is no longer ours."""
    now = utcnow()
    values = {"state": DONE, "finished_at": now, "heartbeat_at": now, **values}
    return (model.update(**values)
            .where((model.id == job.id) & (model.state == RUNNING) & started(model, job)))


def claim_next(model, now=None, tries=5):
    """The oldest queued job of ``model``, now running and owned by this process; None when
    there is none (or other processes won every one tried)."""
    owner = job_owner.this_owner()
    for _ in range(tries):
        job = model.select().where(model.state == QUEUED).order_by(model.id).first()
        if job is None:
            return None
        now = now or utcnow()
        with tx.write():
            won = (model.update(state=RUNNING, started_at=now, heartbeat_at=now,
                                host=owner.host, pid=owner.pid)
                   .where((model.id == job.id) & (model.state == QUEUED))
                   .execute())
        if won == 1:
            return model.get_by_id(job.id)
    return None


def work(model, run, limit=None):
    """Claim and ``run(job)`` the queued jobs of ``model``, oldest first, until none is
    left (or ``limit`` ran); returns what ``run`` returned."""
    done = []
    while limit is None or len(done) < limit:
        job = claim_next(model)
        if job is None:
            break
        done.append(run(job))
    return done


def sweep(model, refresh):
    """``refresh(job)`` every running job of ``model`` (failing those whose worker is
    gone); returns how many are failed now."""
    running = list(model.select().where(model.state == RUNNING))
    return sum(refresh(job).state == FAILED for job in running)


# --- liveness and progress ---------------------------------------------------------------

def write_progress(path, done, total):
    """Record ``done`` of ``total`` rows now in the progress file ``path`` (atomically)."""
    temp = f"{path}.{os.getpid()}.tmp"
    with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        json.dump({"done": done, "total": total, "at": time.time()}, fh)
    os.replace(temp, path)


def read_progress(path):
    """``(done, total, unix time written)`` of the progress file ``path``, or None."""
    try:
        with open(path, encoding="utf-8") as fh:
            found = json.load(fh)
        return int(found["done"]), int(found["total"]), float(found["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def last_beat(job, found=None):
    """The latest sign of life of a running job: its row's heartbeat or its progress file."""
    beat = job.heartbeat_at or job.started_at or job.created_at
    if found:
        at = datetime.datetime.fromtimestamp(found[2], datetime.timezone.utc)
        beat = max(beat, at.replace(tzinfo=None))
    return beat


def dead(job, now, stale_after, found=None, noun="任务"):
    """Why the running ``job``'s worker is gone (zh-CN), or None while it lives."""
    if job.state != RUNNING:
        return None
    here = job_owner.this_owner()
    if job.host == here.host and job.pid and not job_owner.pid_alive(job.pid):
        return f"{noun}进程 {job.pid} 已不存在"
    age = (now - last_beat(job, found)).total_seconds()
    if age > stale_after.total_seconds():
        return f"{noun}进程 {job.host or '?'}:{job.pid or '?'} 已 {int(age)} 秒无心跳"
    return None


def refresh(model, job, now, why, message):
    """``job`` as it is now: failed first with ``message.format(why=why)`` when ``why``
    (:func:`dead`) says its worker is gone."""
    if not why:
        return job
    fail(model, job, message.format(why=why), now)
    return model.get_by_id(job.id)


def progress(job, found=None):
    """``(rows done, rows total)`` of ``job``: its row, or its progress file while running."""
    done, total = job.rows_done, job.rows_total
    if job.state == RUNNING and found:
        done, total = max(done, found[0]), found[1] or total
    return min(done, total) if total else done, total


def status(job, found=None, **more):
    """What a job page and its JSON show of ``job`` (and ``more``)."""
    done, total = progress(job, found)
    return {"id": job.id, "state": job.state, "label": job.state_label, "done": done,
            "total": total, "percent": round(100 * done / total) if total else 0,
            "error": job.error or "", **more}


class Beat:
    """``with Beat(app, model, job, total):`` records ``done`` of ``total`` and a heartbeat
    every ``every`` seconds from its own thread until the block ends: through ``side(done,
    total)`` (a progress file, readable while the work's transaction is open) and, when
    ``in_db()`` says so, in the job's row through the thread's own connection."""

    def __init__(self, app, model, job, total, every=1.0, side=None, in_db=lambda: True):
        self.app, self.model, self.job, self.total, self.every = app, model, job, total, every
        self.side, self.in_db = side, in_db
        self.done = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"{model._meta.table_name}-{job.id}")

    def set(self, done):
        self.done = done

    def __enter__(self):
        self.write(in_db=False)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self):
        while not self._stop.wait(self.every):
            try:
                self.write(in_db=self.in_db())
            except Exception:  # noqa: BLE001 - a missed beat is tried again next time
                log.exception("%s %s: progress not recorded", self.model.__name__, self.job.id)

    def write(self, in_db=False):
        if self.side is not None:
            self.side(self.done, self.total)
        if in_db:
            model = self.model
            with self.app.app_context(), database.connection_context():
                (model.update(rows_done=self.done, heartbeat_at=utcnow())
                 .where((model.id == self.job.id) & (model.state == RUNNING))
                 .execute())


class Claim:
    """A batch of outbox rows one sender holds (mail: services.mail.delivery, robot messages:
    services.robots.delivery): its token and when the rows' ``claimed_at`` was last set
    (monotonic seconds), so an answer's commit renews the lease only now and then."""

    def __init__(self, token):
        self.token, self.at = token, time.monotonic()

    def renew_due(self, every):
        """Whether ``every`` seconds have passed since the claim or its last renewal."""
        return time.monotonic() - self.at >= every

    def renewed(self):
        self.at = time.monotonic()
