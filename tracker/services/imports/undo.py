"""撤销本批导入 (issue "Spreadsheets in and out"): take an import batch back.

The person who imported a batch, or the bureau, may undo it while none of the projects it
created has changed since: no edit, stage change, 到位资金, 增资 or amount change after the
import (the nightly repair does not count). Undoing removes those projects, their stage
history, stale flags and maintained years, and takes their part out of the maintained
figures, in one transaction that locks the batch and its projects first; one audit row
records who, when, why and which projects went (the projects' own audit rows stay as
history). What the batch did to projects that already existed (an update of a duplicate)
is not taken back: the confirmation page says so, and those are corrected on their pages.

A batch with a project counted in a closed quarter follows the closed-period rule of
corrections: only the bureau or an admin undoes it.
"""
from dataclasses import dataclass, field

from ... import clock
from ...domain import figures as F
from ...domain import pipeline, text
from ...domain.errors import NotFound, ValidationError
from ...models import (AmountChange, AuditLog, CapitalIncrease, FundReceipt, ImportBatch,
    ImportBatchProject, Project, ProjectYear, StageEvent, StaleFlag, utcnow)
from .. import audit, tx
from ..figures import monthly
from ..ledger.corrections import closed_quarter_start

MISSING = "导入批次不存在。"
REASON_MAX = text.NOTE_MAX
NOT_YOURS = "只有导入该批次的人或商务局、管理员可以撤销。"
ALREADY = "该批次已于 {at} 撤销。"
NOTHING = "该批次没有新建项目，无需撤销（对已有项目的更新请在项目页更正）。"
CHANGED = "本批有 {n} 个项目在导入后已有改动，不能整批撤销：{names}。请在项目页逐项更正或作废。"
CLOSED = ("本批有项目计入了已结束的季度（{name}：{day}），撤销需由商务局或管理员操作，"
          "请联系市商务局。")
# Audit actions on a project that are not a change by a person after the import.
NOT_A_CHANGE = ("import", "repair")


@dataclass
class UndoCheck:
    """What undoing ``batch`` would do, for the confirmation page."""
    batch: ImportBatch
    created: list                                   # [Project] the undo removes
    changed: list = field(default_factory=list)     # [(Project, why)] blocking the undo
    updated: int = 0                                # existing projects the batch updated
    closed: tuple | None = None                     # (Project, first date in a closed quarter)

    @property
    def possible(self):
        return bool(self.created) and not self.changed and self.batch.undone_at is None


def _batch(batch_id, *, lock=False):
    try:
        batch_id = int(batch_id)
    except (TypeError, ValueError):
        raise NotFound(MISSING) from None
    if lock:
        return tx.lock(ImportBatch, ImportBatch.id == batch_id, missing=MISSING)
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise NotFound(MISSING)
    return batch


def _links(batch):
    return list(ImportBatchProject.select(ImportBatchProject.project, ImportBatchProject.action)
                .where(ImportBatchProject.batch == batch.id).tuples())


def _changed(ids):
    """{project id: why} of the projects changed since their import."""
    why = {}
    for model, label in ((FundReceipt, "已登记到位资金"), (CapitalIncrease, "已登记增资"),
                         (AmountChange, "金额已更正或变更")):
        for (pid,) in model.select(model.project).where(model.project.in_(ids)).tuples():
            why.setdefault(pid, label)
    edits = (AuditLog.select(AuditLog.entity_id)
             .where((AuditLog.entity == "project") & AuditLog.entity_id.in_(ids)
                    & AuditLog.action.not_in(NOT_A_CHANGE)).tuples())
    for (pid,) in edits:
        why.setdefault(pid, "已修改或推进阶段")
    return why


def _first_closed(projects, today=None):
    """(project, date) of the earliest stage date in a closed quarter, or None."""
    start = closed_quarter_start(today)
    dates = {pid: clock.as_date(day) for pid, day in (
        StageEvent.select(StageEvent.project, StageEvent.occurred_on)
        .where(StageEvent.project.in_([p.id for p in projects])
               & (StageEvent.occurred_on < start))
        .order_by(StageEvent.occurred_on).tuples())}
    for project in projects:
        if project.id in dates:
            return project, dates[project.id]
    return None


def _judge(batch, projects_of):
    links = _links(batch)
    created_ids = [pid for pid, action in links if action == "created"]
    created = projects_of(created_ids) if created_ids else []
    changed = _changed(created_ids) if created_ids else {}
    return UndoCheck(batch=batch, created=created,
                     changed=[(p, changed[p.id]) for p in created if p.id in changed],
                     updated=sum(1 for _pid, action in links if action == "updated"),
                     closed=_first_closed(created) if created else None)


def _read(ids):
    return list(Project.select().where(Project.id.in_(ids)).order_by(Project.id))


def may_undo(user, batch):
    return user is None or user.sees_all or batch.user_id == user.id


def check(user, batch_id):
    """The UndoCheck of ``batch_id`` for ``user`` (read only); NotFound, or
    ValidationError when the user may not undo it."""
    batch = _batch(batch_id)
    if not may_undo(user, batch):
        raise ValidationError({"__all__": NOT_YOURS})
    return _judge(batch, _read)


def _refuse(user, found):
    if found.batch.undone_at is not None:
        at = clock.to_local(found.batch.undone_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError({"__all__": ALREADY.format(at=at)})
    if not found.created:
        raise ValidationError({"__all__": NOTHING})
    if found.changed:
        names = "、".join(f"「{p.name}」（{why}）" for p, why in found.changed[:10])
        raise ValidationError({"__all__": CHANGED.format(n=len(found.changed), names=names)})
    if found.closed and user is not None and not user.sees_all:
        project, day = found.closed
        raise ValidationError({"__all__": CLOSED.format(name=project.name, day=day.isoformat())})


def _remove(projects):
    ids = [p.id for p in projects]
    before = {}
    for row in projects:
        for key, cents in monthly.contribution_of(row).items():
            before[key] = before.get(key, 0) + cents
    monthly.apply(F.difference(before, {}))
    for model in (StageEvent, StaleFlag, ProjectYear, ImportBatchProject):
        model.delete().where(model.project.in_(ids)).execute()
    Project.delete().where(Project.id.in_(ids)).execute()


def undo(user, batch_id, reason):
    """Undo the batch: its new projects removed as one audited write (see the module
    docstring). Raises ValidationError (nothing written) when it may not; returns the
    batch."""
    reason, error = text.clean(reason, label="撤销原因", max_length=REASON_MAX, required=True,
                               multiline=True)
    if error:
        raise ValidationError({"reason": error})
    with tx.write():
        batch = _batch(batch_id, lock=True)
        if not may_undo(user, batch):
            raise ValidationError({"__all__": NOT_YOURS})
        found = _judge(batch, lambda wanted: tx.lock_all(Project.select().where(
            Project.id.in_(wanted))))
        _refuse(user, found)
        removed = [{"id": p.id, "name": p.name, "stage": pipeline.label(p.stage)}
                   for p in found.created]
        _remove(found.created)
        batch.undone_at, batch.undone_by = utcnow(), audit.actor(user)
        batch.undo_reason, batch.undone_projects = reason, len(removed)
        batch.save()
        audit.record(user, "import_batch", batch.id, "undo", {"projects": removed},
                     {"reason": reason, "removed": len(removed)})
    return batch
