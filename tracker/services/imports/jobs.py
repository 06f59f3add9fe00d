"""Large imports as jobs outside the web workers (issue 18; docs/design.md, Long work).

Preview: an upload larger than IMPORT_PREVIEW_JOB_BYTES is only kept, and a job of kind
"preview" (:func:`upload_or_queue`, :func:`judge_or_queue` after a change of 列的对应) parses
and judges it once and keeps its judged preview beside it (services.imports.judged); the
job page then opens the preview. The one-job-per-user rule covers both kinds.

Queue: the commit page of a file with more than IMPORT_JOB_ROWS rows calls
:func:`commit_or_queue`, which inserts one ``import_job`` row (state queued) instead of
writing; at most one job per user is queued or running (the user's row is locked first, so
two tabs cannot both queue one). Smaller files are written at once, as before.

Claim: :func:`work` (the scheduler process every few seconds, ``flask imports work``) takes
the oldest queued row with ``UPDATE … SET state='running', host, pid … WHERE id=? AND
state='queued'``: of two processes reading the same row only one UPDATE matches it.

Run: the stored parsed rows are judged again and written by commit.commit in ONE
transaction; the last statement of that transaction marks the job done (with its batch),
conditional on the job still being running as claimed, so the batch and "done" commit
together or not at all. While it writes, a thread records the rows done and a heartbeat
every second: in the upload's progress file (store.write_progress, readable while the
transaction is open on every backend) and, on PostgreSQL/MySQL, in the job's row through
the thread's own connection. A failure rolls everything back and the job is failed with
its message. A killed worker leaves nothing written: its job is failed by whoever reads it
next (:func:`refresh`) once its process is gone from this host or its last beat is older
than IMPORT_JOB_STALE seconds.
"""
import datetime
import json
import logging

from ...db import backend_name
from ...domain.errors import ValidationError
from ...models import ImportJob, User, utcnow
from .. import audit, jobqueue, tx
from . import checks, commit as import_commit, store, uploads

log = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, FAILED = (ImportJob.QUEUED, ImportJob.RUNNING, ImportJob.DONE,
                                 ImportJob.FAILED)
PREVIEW, COMMIT = ImportJob.PREVIEW, ImportJob.COMMIT
BUSY = "您已有一个导入正在进行（导入任务 #{id}，{state}），请等它完成后再导入。"


JobLost = jobqueue.JobLost


# --- queue -----------------------------------------------------------------------------

def get(job_id):
    return jobqueue.get(ImportJob, job_id, "导入任务不存在。")


def in_flight(user_id):
    return jobqueue.in_flight(ImportJob, user_id)


def enqueue(user, token, file_name, rows_total, *, choices=None, on_duplicate="skip",
            stale_after=None, instance_path=None, now=None, acknowledged=False, kind=None):
    """Queue the stored upload ``token`` of ``user``; raises ValidationError when the user
    already has a job queued or running (a stale running one is failed first)."""
    now = now or utcnow()
    with tx.write():
        tx.lock_id(User, user.id, missing="用户不存在。")
        for job in in_flight(user.id):
            if not (stale_after and dead(job, now, stale_after, instance_path)):
                raise ValidationError({"__all__": BUSY.format(id=job.id,
                                                              state=job.state_label)})
            _fail(job, dead(job, now, stale_after, instance_path), now)
        job = ImportJob.create(
            user=user.id, token=token, kind=kind or COMMIT, file_name=(file_name or "")[:255],
            choices=json.dumps({str(k): v for k, v in (choices or {}).items()}),
            on_duplicate=on_duplicate, rows_total=rows_total, created_at=now,
            acknowledged=bool(acknowledged))
        audit.record(user, "import_job", job.id, "queue", None,
                     {"file_name": job.file_name, "rows": rows_total, "kind": job.kind})
        return job


def commit_or_queue(instance_path, token, user, max_bytes, *, job_rows, choices=None,
                    on_duplicate="skip", stale_after=None, acknowledged=False):
    """The commit page's use-case: ``(batch, None)`` when the file has at most ``job_rows``
    rows (written now, uploads.commit_stored), else ``(None, job)`` (queued). A file with
    plausibility warnings the person has not acknowledged is judged here and refused at
    once (checks.refuse_unacknowledged), not queued to fail later."""
    file_name, parsed = uploads.stored_parsed(instance_path, token, user.id, max_bytes)
    if len(parsed.rows) <= job_rows:
        batch, _ = uploads.commit_stored(instance_path, token, user, max_bytes,
                                         choices=choices, on_duplicate=on_duplicate,
                                         acknowledged=acknowledged)
        return batch, None
    if not acknowledged:   # the judged preview's warnings, kept (judged.py) or judged now
        checks.refuse_unacknowledged(
            uploads.judged_page(instance_path, token, user.id, 1)
            or uploads.stored_preview(instance_path, token, user, max_bytes), False)
    return None, enqueue(user, token, file_name, len(parsed.rows), choices=choices,
                         on_duplicate=on_duplicate, stale_after=stale_after,
                         instance_path=instance_path, acknowledged=acknowledged)


def upload_or_queue(instance_path, user, file_name, data, max_bytes, *, job_bytes,
                    stale_after=None):
    """The upload page's use-case: ``(token, None)`` for a file of at most ``job_bytes``
    (judged now, uploads.upload), else ``(token, job)``: the bytes are only kept and a
    preview job judges them (:func:`run`). A refused queue keeps nothing."""
    if len(data) <= job_bytes or len(data) > max_bytes:   # the latter: refused at once
        return uploads.upload(instance_path, user, file_name, data, max_bytes)[0], None
    token = store.save(instance_path, user.id, file_name, data)
    try:
        return token, enqueue(user, token, file_name, 0, kind=PREVIEW,
                              stale_after=stale_after, instance_path=instance_path)
    except ValidationError:
        store.delete(instance_path, token)
        raise


def judge_or_queue(instance_path, token, user, max_bytes, *, job_bytes, stale_after=None):
    """Judge the kept upload ``token`` again (its judged preview is gone or stale: the
    mapping changed): now for a file of at most ``job_bytes`` (returns None), else by a
    preview job (returned; the one already queued or running for it, if any)."""
    store.drop_judged(instance_path, token)
    for job in in_flight(user.id):
        if job.token == token and job.kind == PREVIEW:
            return job
    try:
        file_name, size = store.describe(instance_path, token, user.id)
    except store.Expired:
        raise ValidationError({"__all__": uploads.EXPIRED}) from None
    if size <= job_bytes:
        uploads.judge_stored(instance_path, token, user, max_bytes)
        return None
    return enqueue(user, token, file_name, 0, kind=PREVIEW, stale_after=stale_after,
                   instance_path=instance_path)


# --- liveness ----------------------------------------------------------------------------

def _found(job, instance_path):
    """The running job's progress file, read: ``(done, total, unix time)`` or None."""
    if job.state != RUNNING or not instance_path:
        return None
    return store.read_progress(instance_path, job.token)


def dead(job, now, stale_after, instance_path=None):
    """Why the running ``job``'s worker is gone (zh-CN), or None while it lives."""
    return jobqueue.dead(job, now, stale_after, _found(job, instance_path), "导入")


def _fail(job, message, now):
    """Mark ``job`` failed unless it changed since it was read; whether it was."""
    return jobqueue.fail(ImportJob, job, message, now)


def refresh(job, instance_path, stale_after, now=None):
    """``job`` as it is now: a running job whose worker is gone is failed first ("中断")."""
    now = now or utcnow()
    return jobqueue.refresh(ImportJob, job, now, dead(job, now, stale_after, instance_path),
                            "导入中断（{why}），未写入任何数据。请重新上传后导入。")


def progress(job, instance_path):
    """``(rows done, rows total)`` of ``job``: its row, or its progress file while running."""
    return jobqueue.progress(job, _found(job, instance_path))


# --- claim and run -----------------------------------------------------------------------

def claim_next(now=None, tries=5):
    """The oldest queued job, now running and owned by this process; None when there is
    none (or other processes won every one tried)."""
    return jobqueue.claim_next(ImportJob, now, tries)


def Beat(app, job, total, every=1.0):
    """``with Beat(app, job, total):`` records the rows done and a heartbeat every second:
    in the upload's progress file and, on PostgreSQL/MySQL, in the job's row (SQLite: no
    second writer while the batch's transaction is open)."""
    return jobqueue.Beat(
        app, ImportJob, job, total, every,
        side=lambda done, of: store.write_progress(app.instance_path, job.token, done, of),
        in_db=lambda: backend_name() != "sqlite")


def _mark_done(job, total):
    def on_written(batch):
        won = jobqueue.finish(ImportJob, job, batch=batch.id, rows_done=total,
                              rows_total=total).execute()
        if won != 1:
            raise JobLost(job.id)
    return on_written


def _write(app, job, user, every):
    """Judge the stored rows again and write them as one batch; the job done with it."""
    max_bytes = int(app.config["IMPORT_MAX_BYTES"])
    # the same preview as the commit of a small file (uploads.commit_stored)
    preview = uploads.stored_preview(app.instance_path, job.token, user, max_bytes)
    choices = {int(k): v for k, v in json.loads(job.choices or "{}").items()}
    new, updates = import_commit.chosen(preview, choices, job.on_duplicate)
    total = len(new) + len(updates)
    with tx.write():
        ImportJob.update(rows_total=total).where(ImportJob.id == job.id).execute()
    with Beat(app, job, total, every) as beat, audit.origin("import-job"):
        import_commit.commit(user, preview, choices=choices, on_duplicate=job.on_duplicate,
                             acknowledged=job.acknowledged,
                             progress=beat.set, on_written=_mark_done(job, total))


def _judge(app, job, user, every):
    """A preview job: parse and judge the kept upload once, keep its judged preview
    (uploads.judge_stored); the job done with the rows judged."""
    max_bytes = int(app.config["IMPORT_MAX_BYTES"])
    with Beat(app, job, 0, every):
        preview = uploads.judge_stored(app.instance_path, job.token, user, max_bytes)
    total = len(preview.rows)
    with tx.write():
        won = jobqueue.finish(ImportJob, job, rows_done=total, rows_total=total).execute()
    if won != 1:
        raise JobLost(job.id)


def run(app, job, every=1.0):
    """Run the claimed ``job`` to its end (done or failed); returns it as it ends. Needs an
    app context and a connection. A preview job's upload is kept for its preview and
    commit; a commit job's (and a failed one's) is deleted."""
    user = User.get_or_none(User.id == job.user_id)
    try:
        if user is None or not user.active:
            raise ValidationError({"__all__": "导入人的账号已停用，未导入。"})
        (_judge if job.kind == PREVIEW else _write)(app, job, user, every)
    except ValidationError as exc:
        _fail(job, "；".join(exc.errors.values()), utcnow())
    except JobLost:
        log.warning("import job %s was failed as stale while it ran: rolled back", job.id)
        _fail(job, "导入中断（任务已被判定为失败），未写入任何数据。请重新上传后导入。", utcnow())
    except Exception as exc:  # noqa: BLE001 - recorded on the job, the worker goes on
        log.exception("import job %s failed", job.id)
        _fail(job, f"导入出错（{type(exc).__name__}），未写入任何数据。请联系管理员。", utcnow())
    ended = get(job.id)
    if ended.kind != PREVIEW or ended.state != DONE:
        try:
            store.delete(app.instance_path, job.token)
        except store.Expired:
            pass
    return ended


def sweep(instance_path, stale_after, now=None):
    """Fail every running job whose worker is gone; returns how many."""
    return jobqueue.sweep(ImportJob, lambda job: refresh(job, instance_path, stale_after, now))


def work(app, limit=None, every=1.0):
    """Run queued jobs, oldest first, until none is left (or ``limit`` ran); returns them.
    Needs an app context and a connection."""
    sweep(app.instance_path, stale_after(app.config))
    return jobqueue.work(ImportJob, lambda job: run(app, job, every), limit)


def stale_after(config):
    from ...config import setting
    return datetime.timedelta(seconds=float(setting(config, "IMPORT_JOB_STALE")))


def status(job, instance_path):
    """What the job page and its JSON show of ``job``."""
    return jobqueue.status(job, _found(job, instance_path), kind=job.kind, batch=job.batch_id)
