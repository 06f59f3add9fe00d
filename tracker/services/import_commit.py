"""Excel import, commit (issue "Excel in and out"; docs/design.md, The write path).

A preview is written in one transaction through the ledger's own use-cases: each new row is
``projects.create_project`` at its first dated stage, then ``projects.change_stage`` for
every later dated stage (so the stage history and the first-reached dates put the project
in the right periods); an updated duplicate is ``projects.update_project`` (an amount that
differs is a 更正 naming the batch) and a stage move when its stage differs. When one row
fails, everything rolls back and the error names the row. The batch (file, user, counts)
and its projects are kept in ``import_batch`` and in the audit trail.
"""
from peewee import JOIN

from ..domain import pipeline
from ..domain.errors import ValidationError
from ..models import ImportBatch, ImportBatchProject, Project, User
from . import audit, projects, tx
from .project_import import ERROR, NEW, UNCHANGED, UPDATE

SKIP = "skip"
CHOICES = {SKIP: "跳过", "update": "更新"}
IMPORT_NOTE = "Excel导入"


def _choice(row, choices, default):
    choice = (choices or {}).get(row.number, default)
    return choice if choice in CHOICES else SKIP


def _fail(row, exc):
    messages = "；".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
    raise ValidationError({"__all__": f"第 {row.number} 行（{row.name}）导入失败：{messages}"
                                      "。整个文件均未导入，请修改后重新上传。"})


def _signs_later(stage, later):
    signed = pipeline.rank(pipeline.SIGNED)
    return pipeline.rank(stage) is not None and pipeline.rank(stage) < signed and any(
        pipeline.rank(s) is not None and pipeline.rank(s) >= signed for s, _ in later)


def _create(user, row, note):
    (stage, day), later = row.events[0], row.events[1:]
    fields = dict(row.fields)
    kwargs = {}
    if _signs_later(stage, later):
        # The contract value belongs to the signing event.
        kwargs = {"contract_value": fields.get("contract_value"),
                  "signing_grade": fields.get("signing_grade")}
        fields["contract_value"], fields["signing_grade"] = None, None
    project = projects.create_project(user, task_force=row.team, stage=stage, on=day,
                                      note=note, **fields)
    _moves(user, project, stage, later, row, note, kwargs)
    return project


def _moves(user, project, current, events, row, note, signing):
    for stage, day in events:
        extra = {}
        if stage == pipeline.DROPPED:
            extra = {"reason": row.drop_reason}
        elif pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
            extra = {k: v for k, v in signing.items() if v is not None}
        back = current == pipeline.DROPPED or (
            stage != pipeline.DROPPED and pipeline.rank(stage) < pipeline.rank(current))
        projects.change_stage(user, project.id, stage, on=day, expected_stage=current,
                              note=f"{note}：当前阶段为{pipeline.label(stage)}" if back else note,
                              **extra)
        current = stage


def _update(user, row, note):
    project = row.duplicate_of
    changed = {k: row.fields[k] for k in row.changes if k != "stage"}
    if changed:
        amounts = {"planned_investment", "contract_value"} & set(changed)
        kind = {"change_kind": "correction", "change_reason": note} if amounts else {}
        projects.update_project(user, project.id, **kind, **changed)
    if "stage" in row.changes:
        stage, day = row.events[-1]
        current = projects.get_project(project.id).stage
        signing = {"contract_value": row.fields.get("contract_value"),
                   "signing_grade": row.fields.get("signing_grade")}
        _moves(user, project, current, [(stage, day)], row, note, signing)
    return project


def _write_rows(user, preview, batch, choices, default):
    counts = {"created": 0, "updated": 0, "skipped": 0, "unchanged": 0}
    links = []
    note = f"{IMPORT_NOTE}（批次 {batch.id}：{preview.file_name}）"
    for row in preview.rows:
        try:
            if row.status == NEW:
                project, action = _create(user, row, note), "created"
            elif row.status == UPDATE and _choice(row, choices, default) == "update":
                project, action = _update(user, row, note), "updated"
            else:
                counts["unchanged" if row.status == UNCHANGED else "skipped"] += 1
                continue
        except ValidationError as exc:
            _fail(row, exc)
        counts[action] += 1
        links.append({"batch": batch.id, "project": project.id, "action": action,
                      "row_number": row.number})
    for start in range(0, len(links), 500):
        ImportBatchProject.insert_many(links[start:start + 500]).execute()
    return counts


def commit(user, preview, *, choices=None, on_duplicate=SKIP):
    """Write ``preview`` (project_import.preview) as one batch, all or nothing.

    ``choices`` maps a row number to "skip" or "update" for a duplicate that differs from
    the ledger; ``on_duplicate`` is the choice for the others. Raises ValidationError
    (nothing written) when the file has errors or a row fails. Returns the ImportBatch."""
    bad = preview.count(ERROR)
    if bad:
        raise ValidationError({"__all__": f"文件有 {bad} 行错误，未导入。请修改后重新上传。"})
    with tx.write():
        batch = ImportBatch.create(user=_user(user), file_name=(preview.file_name or "")[:255])
        counts = _write_rows(user, preview, batch, choices, on_duplicate)
        for key, value in counts.items():
            setattr(batch, key, value)
        batch.save()
        audit.record(user, "import_batch", batch.id, "create", None,
                     dict(counts, file_name=batch.file_name))
    return batch


def _user(user):
    return user if (user is not None and getattr(user, "id", None)) else None


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
        from ..domain.errors import NotFound
        raise NotFound("导入批次不存在。")
    query = (ImportBatchProject.select(ImportBatchProject, Project)
             .join(Project).where(ImportBatchProject.batch == batch.id)
             .order_by(ImportBatchProject.row_number))
    if task_force_id:
        query = query.where(Project.task_force == int(task_force_id))
    return batch, [(link, link.project) for link in query]
