"""Excel import, commit (issue "Excel in and out"; docs/design.md, The write path).

A preview is written in one transaction, all or nothing. The transaction first takes its
locks (project_bulk.lock: the projects it updates, then its task forces, in id order).
New rows are written together (project_bulk): each becomes exactly what
``projects.create_project`` at its first dated stage and one ``projects.change_stage`` per
later dated stage would write (import_plan: the same rules on the preview's cleaned
values), so the stage history and the first-reached dates put the project in the right
periods; the maintained figures are updated once for the batch. An updated duplicate is
``projects.update_project`` (an amount that differs is a 更正 naming the batch) and a
stage move when its stage differs. When one row fails, everything rolls back and the
error names the row. The batch (file, user, counts) and its projects are kept in
``import_batch`` and in the audit trail (one ``import`` row per new project).
"""
from peewee import JOIN

from ...domain import pipeline
from ...domain.errors import ValidationError
from ...models import ImportBatch, ImportBatchProject, Project, User
from .. import audit, tx
from ..rows import insert_rows
from . import plan as import_plan, bulk, checks
from ..ledger import projects
from .plan import back_note, fail, moved_back
from .preview import ERROR, NEW, UNCHANGED, UPDATE

SKIP = "skip"
PROGRESS_CHUNK = 1000   # new rows written between two progress reports (a job's bar)
CHOICES = {SKIP: "跳过", "update": "更新"}
IMPORT_NOTE = "Excel导入"


def _choice(row, choices, default):
    choice = (choices or {}).get(row.number, default)
    return choice if choice in CHOICES else SKIP


def _moves(user, project, current, events, row, note, signing):
    for stage, day in events:
        extra = {}
        if stage == pipeline.DROPPED:
            extra = {"reason": row.drop_reason}
        elif pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
            extra = {k: v for k, v in signing.items() if v is not None}
        projects.change_stage(user, project.id, stage, on=day, expected_stage=current,
                              note=back_note(note, stage) if moved_back(current, stage) else note,
                              closed_reason=note, **extra)
        current = stage


def _update(user, row, note):
    project = row.duplicate_of
    changed = {k: row.fields[k] for k in row.changes if k != "stage"}
    if changed:
        amounts = {"planned_investment", "contract_value"} & set(changed)
        kind = {"change_kind": "correction", "change_reason": note} if amounts else {}
        projects.update_project(user, project.id, closed_reason=note, **kind, **changed)
    if "stage" in row.changes:
        stage, day = row.events[-1]
        current = projects.get_project(project.id).stage
        signing = {"contract_value": row.fields.get("contract_value"),
                   "signing_grade": row.fields.get("signing_grade")}
        _moves(user, project, current, [(stage, day)], row, note, signing)
    return project


def _create_all(user, rows, note, batch, progress):
    """Plan and write the new rows; with ``progress`` (a job's bar) in chunks of
    PROGRESS_CHUNK, each reported (bulk.create's writes add up: the same result)."""
    notes, plans = import_plan.Notes(note), []
    for row in rows:
        try:
            plans.append(import_plan.plan(row, notes))
        except ValidationError as exc:
            fail(row, exc)
    size = PROGRESS_CHUNK if progress else max(len(plans), 1)
    for start in range(0, len(plans), size):
        bulk.create(user, plans[start:start + size], batch.id)
        if progress:
            progress(min(start + size, len(plans)))
    return [(p.row, p.project) for p in plans]


def _write_rows(user, preview, batch, new, updates, progress=None):
    counts = {"created": len(new), "updated": len(updates), "skipped": 0, "unchanged": 0}
    note = f"{IMPORT_NOTE}（批次 {batch.id}：{preview.file_name}）"
    written = [(row, project, "created")
               for row, project in _create_all(user, new, note, batch, progress)]
    for done, row in enumerate(updates, start=len(new) + 1):
        try:
            written.append((row, _update(user, row, note), "updated"))
        except ValidationError as exc:
            fail(row, exc)
        if progress and (done % 100 == 0 or done == len(new) + len(updates)):
            progress(done)
    chosen = {row.number for row in updates}
    for row in preview.rows:
        if row.status != NEW and row.number not in chosen:
            counts["unchanged" if row.status == UNCHANGED else "skipped"] += 1
    insert_rows(ImportBatchProject, sorted(
        ({"batch": batch.id, "project": project.id, "action": action, "row_number": row.number}
         for row, project, action in written), key=lambda link: link["row_number"]))
    return counts


def chosen(preview, choices=None, on_duplicate=SKIP):
    """``(new rows, duplicates to update)``: the rows a commit writes."""
    new = [r for r in preview.rows if r.status == NEW]
    updates = [r for r in preview.rows
               if r.status == UPDATE and _choice(r, choices, on_duplicate) == "update"]
    return new, updates


def commit(user, preview, *, choices=None, on_duplicate=SKIP, progress=None, on_written=None,
           acknowledged=False):
    """Write ``preview`` (project_import.preview) as one batch, all or nothing.

    ``choices`` maps a row number to "skip" or "update" for a duplicate that differs from
    the ledger; ``on_duplicate`` is the choice for the others. Raises ValidationError
    (nothing written) when the file has errors or a row fails. Returns the ImportBatch.
    An import job's hooks: ``progress(rows written so far)`` while the rows are written,
    ``on_written(batch)`` last inside the transaction (what it writes commits with the
    batch, and what it raises rolls the batch back). A preview with plausibility warnings
    is refused (ValidationError of ``acknowledge``) unless ``acknowledged``."""
    bad = preview.count(ERROR)
    if bad:
        raise ValidationError({"__all__": f"文件有 {bad} 行错误，未导入。请修改后重新上传。"})
    checks.refuse_unacknowledged(preview, acknowledged)
    new, updates = chosen(preview, choices, on_duplicate)
    with tx.write():
        bulk.lock(new, [r.duplicate_of.id for r in updates])
        batch = ImportBatch.create(user=audit.actor(user), file_name=(preview.file_name or "")[:255])
        counts = _write_rows(user, preview, batch, new, updates, progress)
        for key, value in counts.items():
            setattr(batch, key, value)
        batch.save()
        audit.record(user, "import_batch", batch.id, "create", None,
                     dict(counts, file_name=batch.file_name))
        if on_written:
            on_written(batch)
    return batch


# --- listing ----------------------------------------------------------------------

def batches(user_id=None, limit=200):
    """Recent import batches (of one user when ``user_id`` is given), newest first."""
    query = (ImportBatch.select(ImportBatch, User)
             .join(User, on=ImportBatch.user == User.id, join_type=JOIN.LEFT_OUTER)
             .order_by(ImportBatch.id.desc()).limit(limit))
    if user_id is not None:
        query = query.where(ImportBatch.user == user_id)
    return list(query)


def batch_projects(batch_id, task_force_id=None):
    """(batch, [(link, project)]) of one batch, optionally of one task force only."""
    batch = ImportBatch.get_or_none(ImportBatch.id == int(batch_id))
    if batch is None:
        from ...domain.errors import NotFound
        raise NotFound("导入批次不存在。")
    query = (ImportBatchProject.select(ImportBatchProject, Project)
             .join(Project).where(ImportBatchProject.batch == batch.id)
             .order_by(ImportBatchProject.row_number))
    if task_force_id:
        query = query.where(Project.task_force == int(task_force_id))
    return batch, [(link, link.project) for link in query]
