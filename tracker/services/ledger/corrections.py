"""作废 (void) of a fund receipt, a capital increase or a project's latest stage event
(docs/design.md, Corrections; the write path).

Nothing is deleted: the row stays, struck through in the timeline, with who voided it,
when and why, and stops counting (every aggregate leaves voided rows out). In the same
transaction the project's derived columns are rebuilt from what still counts: its
last progress date and stale flag, and — when the voided row is the latest stage
event — its stage (back to the previous event's) and its first-reached dates, which
here may move later or be cleared (tracker/services/figures/recompute.py).

Who may void: whoever may edit the project. A row dated in a closed quarter (before
the start of the current quarter) follows the closed-period rule (services.ledger.closed):
the 商务局 or an administrator voids it at once, anyone else files a 更正申请 that waits
for the bureau's approval; that quarter's frozen snapshot keeps its number.
"""
from ... import clock
from ...domain import closed_periods, pipeline, text
from ...domain.errors import ValidationError
from ...models import CapitalIncrease, FundReceipt, StageEvent, utcnow
from .. import audit, tx
from ..figures import monthly, years, recompute
from ..staleness import project as project_stale
from . import closed, describe
from .projects import lock_project, save_locked

REASON_MAX = 500
# kind -> (model, date column, label)
KINDS = {
    "funds": (FundReceipt, "received_on", "到位资金"),
    "increase": (CapitalIncrease, "occurred_on", "增资"),
    "stage": (StageEvent, "occurred_on", "阶段记录"),
}
MISSING_ITEM = "要作废的记录不存在。"
NOT_ALLOWED = "您无权作废该专班项目的记录。"


def closed_quarter_start(today=None):
    """First day of the current quarter: a row dated before it is in a closed quarter."""
    return closed_periods.current_quarter_start(today or clock.today())



def _clean(kind, item_id, reason):
    errors = {}
    reason = text.clean_into(errors, "reason", reason, label="作废原因", max_length=REASON_MAX,
                             required=True, multiline=True)
    if kind not in KINDS:
        errors["kind"] = "要作废的记录类型无效。"
    try:
        item_id = int(item_id)
        if not 0 < item_id < 2**31:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        errors["item_id"] = MISSING_ITEM
    if errors:
        raise ValidationError(errors)
    return item_id, reason


def void(user, project, kind, item_id, reason, *, stale=None):
    """Void row ``item_id`` of ``kind`` (funds / increase / stage) of ``project`` (an id)
    with ``reason`` (required, ≤ 500). Returns the voided row (for a member's void of a row
    dated in a closed quarter, the filed CorrectionRequest instead); ValidationError (nothing
    written) when the reason is missing, the user may not, or the row cannot be voided.
    ``stale``: the StaleOptions the project's stale flag is judged with (the defaults
    when left out)."""
    item_id, reason = _clean(kind, item_id, reason)
    model, date_name, label = KINDS[kind]
    with tx.write():
        row = lock_project(project)
        if user is not None and not user.can_edit_task_force(row.task_force_id):
            raise ValidationError({"__all__": NOT_ALLOWED})
        item = tx.lock(model, (model.id == item_id) & (model.project == row.id),
                       missing=MISSING_ITEM)
        day = getattr(item, date_name)
        _check_item(row, item, kind)
        filed, _ = closed.gate(user, [day], reason, lambda: dict(
            action="void", project=row.id, task_force=row.task_force_id,
            payload=dict(kind=kind, item_id=item.id, reason=reason),
            summary=describe.void(label, item.id, day)), field="reason")
        if filed:
            return filed
        before = audit.snapshot(row)
        counted = monthly.contribution_of(row)
        columns = _restore_stage(row, item) if kind == "stage" else []
        item.voided_at, item.voided_by, item.void_reason = utcnow(), audit.actor(user), reason
        item.save(only=[model.voided_at, model.voided_by, model.void_reason])
        columns += _rebuild(row, kind == "stage")
        save_locked(row, columns)
        monthly.settle(row, counted)
        years.sync(row.id)
        project_stale.refresh(row, clock.today(), stale)
        old, new = audit.changed(before, audit.snapshot(row))
        old.update(voided=None)
        new.update(voided=f"{label} #{item.id}（{getattr(item, date_name)}）", void_reason=reason)
        audit.record(user, "project", row.id, "void", old, new)
    return item


def _check_item(row, item, kind):
    if item.voided:
        raise ValidationError({"reason": "该记录已作废。"})
    if kind == "stage":
        if item.from_stage is None:
            raise ValidationError({"reason": "新建项目时的阶段记录不能作废。"})
        latest = latest_stage_event(row.id)
        if latest is None or latest.id != item.id:
            raise ValidationError({"reason": "只能作废项目最近一次阶段变更。"})


def latest_stage_event(project_id):
    """The project's latest counted stage change that may be voided (None when its only
    counted event is the one that created it)."""
    latest = (StageEvent.select().where((StageEvent.project == project_id)
                                        & StageEvent.counted())
              .order_by(StageEvent.id.desc()).first())
    return latest if latest is not None and latest.from_stage is not None else None


def _restore_stage(row, event):
    """Back to the stage of the counted event before ``event``; returns changed columns."""
    previous = (StageEvent.select().where((StageEvent.project == row.id)
                                          & StageEvent.counted() & (StageEvent.id < event.id))
                .order_by(StageEvent.id.desc()).first())
    stage = previous.stage if previous is not None else (event.from_stage or pipeline.RESERVE)
    columns = []
    if stage != row.stage:
        row.stage, columns = stage, ["stage"]
    reason = (previous.note or "") if stage == pipeline.DROPPED and previous else ""
    if reason != (row.drop_reason or ""):
        row.drop_reason = reason
        columns.append("drop_reason")
    return columns


def _rebuild(row, dates):
    """Last progress (and, with ``dates``, the first-reached dates) from what counts."""
    columns = []
    if dates:
        for stage, day in recompute.first_reached_of(row.id).items():
            name = pipeline.FIRST_REACHED_FIELD[stage]
            if getattr(row, name) != day:
                setattr(row, name, day)
                columns.append(name)
    last = recompute.last_activity_of(row.id)
    if last != row.last_progress_on:
        row.last_progress_on = last
        columns.append("last_progress_on")
    return columns
