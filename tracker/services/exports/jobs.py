"""Large ledger exports as jobs outside the web workers (issue 18; docs/design.md, Long work).

Queue: the ledger's export of more than EXPORT_JOB_ROWS projects is not written inside the
request: :func:`export_or_count` tells the page so, and :func:`queue` (its form) inserts
one ``export_job`` row (state queued) holding the page's filters (scope included). At most
one export job per user is queued or running (the user's row is locked first, so two tabs
cannot both queue one). A smaller export is written at once, as before; ``flask export
ledger`` always is.

Claim and run: :func:`work` (the scheduler process every few seconds, ``flask export
work``) claims the oldest queued row (services.jobqueue: a conditional UPDATE, so of two
processes only one runs it) and writes the workbook with services.ledger.export's
``write_ledger`` (the same title row, columns, widths and formula-safe cells as the
request's export, the rows read through a server-side cursor on PostgreSQL/MySQL) into
``<instance>/exports/<token>.xlsx`` (written to a ``.part`` file renamed when complete),
then marks the job done with the file's names. While it writes, a thread records the rows
done and a heartbeat every second in ``<token>.progress`` and, on PostgreSQL/MySQL, in the
job's row. A failure fails the job with its message and removes the file; a killed worker
is failed by whoever reads the job next (:func:`refresh`) once its process is gone from
this host or its last beat is older than EXPORT_JOB_STALE seconds.

Download: the file is served only to the person who asked and the bureau (the web layer
checks who asks); finished and failed jobs and their files are removed after
EXPORT_KEEP_DAYS days by the nightly recompute (:func:`purge`).
"""
import datetime
import json
import logging
import os
import re
import secrets
import time

from ... import clock
from ...db import backend_name
from ...domain.errors import NotFound, ValidationError
from ...models import ExportJob, User, utcnow
from .. import audit, jobqueue, tx
from ..ledger import export as ledger_export
from ..xlsx import XlsxFile

log = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, FAILED = jobqueue.QUEUED, jobqueue.RUNNING, jobqueue.DONE, jobqueue.FAILED
BUSY = "您已有一个导出正在进行（导出任务 #{id}，{state}），请等它完成后再导出。"
GONE = "导出文件已过期或不存在，请重新导出。"
CRASHED = "导出中断（{why}）。请重新导出。"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


JobLost = jobqueue.JobLost


# --- files -------------------------------------------------------------------------------

def folder(instance_path):
    path = os.path.join(instance_path, "exports")
    os.makedirs(path, exist_ok=True)
    return path


def file_path(instance_path, token, suffix=".xlsx"):
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise NotFound(GONE)
    return os.path.join(folder(instance_path), token + suffix)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _save(book, path):
    """``book`` written to ``path`` whole or not at all (a ``.part`` file renamed)."""
    part = path + ".part"
    try:
        book.save(part)
        os.replace(part, path)
    finally:
        _remove(part)


# --- queue -------------------------------------------------------------------------------

def get(job_id):
    return jobqueue.get(ExportJob, job_id, "导出任务不存在。")


def in_flight(user_id):
    return jobqueue.in_flight(ExportJob, user_id)


def _stored_filters(filters):
    """The ledger filters as JSON (the 本专班 scope's task forces as a sorted list)."""
    values = {k: sorted(v) if isinstance(v, (set, frozenset, list, tuple)) else v
              for k, v in filters.items() if v not in (None, "")}
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def enqueue(user, filters, rows_total, *, stale_after=None, instance_path=None, now=None):
    """Queue the ledger export of ``filters`` for ``user``; ValidationError when the user
    already has one queued or running (a crashed running one is failed first)."""
    now = now or utcnow()
    with tx.write():
        tx.lock_id(User, user.id, missing="用户不存在。")
        for job in in_flight(user.id):
            why = stale_after and dead(job, now, stale_after, instance_path)
            if not why:
                raise ValidationError({"__all__": BUSY.format(id=job.id, state=job.state_label)})
            jobqueue.refresh(ExportJob, job, now, why, CRASHED)
        job = ExportJob.create(user=user.id, filters=_stored_filters(filters),
                               token=secrets.token_urlsafe(24), rows_total=rows_total,
                               created_at=now)
        audit.record(user, "export_job", job.id, "queue", None,
                     {"kind": job.kind, "rows": rows_total, "filters": job.filters})
        return job


def export_or_count(filters, job_rows):
    """The export link's use-case: ``(XlsxFile, None)`` for at most ``job_rows`` projects
    (written now, as ``flask export ledger`` always is), else ``(None, the count)``: the
    page offers to :func:`queue` it."""
    count = ledger_export.ledger_count(filters)
    if count <= job_rows:
        return ledger_export.export_ledger(filters), None
    return None, count


def queue(user, filters, *, stale_after=None, instance_path=None):
    """Queue the ledger export of ``filters`` for ``user`` (:func:`enqueue`)."""
    return enqueue(user, filters, ledger_export.ledger_count(filters),
                   stale_after=stale_after, instance_path=instance_path)


# --- liveness and progress ---------------------------------------------------------------

def _found(job, instance_path):
    """The running job's progress file, read: ``(done, total, unix time)`` or None."""
    if job.state != RUNNING or not instance_path:
        return None
    return jobqueue.read_progress(file_path(instance_path, job.token, ".progress"))


def dead(job, now, stale_after, instance_path=None):
    """Why the running ``job``'s worker is gone (zh-CN), or None while it lives."""
    return jobqueue.dead(job, now, stale_after, _found(job, instance_path), "导出")


def refresh(job, instance_path, stale_after, now=None):
    """``job`` as it is now: a running job whose worker is gone is failed first."""
    now = now or utcnow()
    return jobqueue.refresh(ExportJob, job, now, dead(job, now, stale_after, instance_path),
                            CRASHED)


def status(job, instance_path):
    """What the job page and its JSON show of ``job``: rows done of total, state, error."""
    return jobqueue.status(job, _found(job, instance_path))


def stale_after(config):
    from ...config import setting
    return datetime.timedelta(seconds=float(setting(config, "EXPORT_JOB_STALE")))


# --- claim and run -----------------------------------------------------------------------

def claim_next(now=None):
    return jobqueue.claim_next(ExportJob, now)


def _write(app, job, every):
    """Write the job's workbook to its file; the job done with the file's names."""
    filters = json.loads(job.filters or "{}")
    total = ledger_export.ledger_count(filters)
    with tx.write():
        ExportJob.update(rows_total=total).where(ExportJob.id == job.id).execute()
    path = file_path(app.instance_path, job.token)
    beat = jobqueue.Beat(
        app, ExportJob, job, total, every,
        side=lambda done, of: jobqueue.write_progress(
            file_path(app.instance_path, job.token, ".progress"), done, of),
        in_db=lambda: backend_name() != "sqlite")
    now = clock.now()    # the title's export time and the file name's day
    with beat:
        book, count = ledger_export.write_ledger(
            filters, now, progress=lambda steps: beat.set(min(steps // 2, beat.total)))
        _save(book, path)
    name, ascii_name = ledger_export.file_names(filters, now)
    with tx.write():
        won = jobqueue.finish(ExportJob, job, rows_done=count, rows_total=count,
                              file_name=name, ascii_name=ascii_name).execute()
    if won != 1:
        raise JobLost(job.id)


def run(app, job, every=1.0):
    """Run the claimed ``job`` to its end (done or failed); returns it as it ends. Needs an
    app context and a connection."""
    user = User.get_or_none(User.id == job.user_id)
    try:
        if user is None or not user.active:
            raise ValidationError({"__all__": "导出人的账号已停用，未导出。"})
        with audit.origin("export-job"):
            _write(app, job, every)
    except ValidationError as exc:
        jobqueue.fail(ExportJob, job, "；".join(exc.errors.values()))
    except JobLost:
        log.warning("export job %s was failed as stale while it ran", job.id)
    except Exception as exc:  # noqa: BLE001 - recorded on the job, the worker goes on
        log.exception("export job %s failed", job.id)
        jobqueue.fail(ExportJob, job, f"导出出错（{type(exc).__name__}）。请稍后重试或联系管理员。")
    ended = get(job.id)
    if ended.state != DONE:
        _remove(file_path(app.instance_path, job.token))
    _remove(file_path(app.instance_path, job.token, ".progress"))
    return ended


def sweep(instance_path, stale, now=None):
    """Fail every running job whose worker is gone; returns how many."""
    return jobqueue.sweep(ExportJob, lambda job: refresh(job, instance_path, stale, now))


def work(app, limit=None, every=1.0):
    """Run queued jobs, oldest first, until none is left (or ``limit`` ran); returns them.
    Needs an app context and a connection."""
    sweep(app.instance_path, stale_after(app.config))
    return jobqueue.work(ExportJob, lambda job: run(app, job, every), limit)


# --- download and removal ----------------------------------------------------------------

def download(job, instance_path):
    """``(path, XlsxFile without data)`` of the done ``job``'s file; NotFound when the job
    is not done or its file is gone."""
    if job.state != DONE:
        raise NotFound("导出尚未完成。")
    path = file_path(instance_path, job.token)
    if not os.path.isfile(path):
        raise NotFound(GONE)
    return path, XlsxFile(b"", job.file_name, job.ascii_name, job.rows_done)


def purge(instance_path, keep_days, now=None):
    """Remove the finished and failed jobs older than ``keep_days`` days with their files,
    and files no job names any more; returns how many jobs were removed."""
    now = now or utcnow()
    cutoff = now - datetime.timedelta(days=float(keep_days))
    old = list(ExportJob.select().where(ExportJob.state.in_([DONE, FAILED])
                                        & (ExportJob.created_at < cutoff)))
    with tx.write():
        if old:
            ExportJob.delete().where(ExportJob.id.in_([job.id for job in old])).execute()
    for job in old:
        for suffix in (".xlsx", ".progress"):
            _remove(file_path(instance_path, job.token, suffix))
    known = {token for (token,) in ExportJob.select(ExportJob.token).tuples()}
    base = folder(instance_path)
    for name in os.listdir(base):
        path = os.path.join(base, name)
        if name.split(".")[0] not in known and os.path.getmtime(path) < time.time() - 3600:
            _remove(path)
    return len(old)
