"""The follow-up log's writes (issue 21; docs/design.md, The write path): log, edit and 作废
an activity. Each is one transaction that locks first — the activity (edit, void), then the
projects it concerns in id order (or, with none, its task force) — checks the rules against
what it read, passes the dates it touches through the closed-period rule (services.ledger.closed:
a member's entry dated into a closed quarter is a 更正申请) and writes one audit row.

An activity on a project is progress for it, exactly like a dated stage event: in the same
transaction the project's last progress date moves later and the stale flags of the silence
it ends are cleared. An edit or a void that takes that progress away rebuilds the date from
what still counts (services.figures.recompute.last_activity_of) and the project's stale flag
is judged again. An activity without a project moves nothing.
"""
from ... import clock
from ...domain import activities as rules
from ...domain import text
from ...domain.errors import ValidationError
from ...models import Activity, ActivityParticipant, ActivityProject, Project, TaskForce, utcnow
from .. import audit, tx
from ..figures import recompute
from ..ledger import closed
from ..ledger.projects import save_locked
from ..staleness import project as project_stale
from . import index, inputs

MISSING = "跟进记录不存在。"
NOT_ALLOWED = "您无权记录或修改该专班的跟进记录。"
STALE = "该跟进记录刚被他人修改，本次未保存。请刷新页面后重试。"


def _lock_targets(project_ids, team):
    """Lock the projects (id order), or the task force when there are none."""
    rows = tx.lock_all(Project.select().where(Project.id.in_(project_ids))) if project_ids else []
    if not rows:
        tx.lock(TaskForce, TaskForce.id == team.id)
    return rows


def _plain(fields, projects, people):
    payload = {k: closed.plain(v) for k, v in fields.items()}
    return dict(payload, projects=projects, participants=people)


def _summary(fields):
    who = f" {fields['counterpart']}" if fields.get("counterpart") else ""
    return f"跟进记录：{rules.kind_label(fields['kind'])} {fields['occurred_on'].isoformat()}{who}"


def log(user, *, regions=rules.DEFAULT_REGIONS, closed_reason="", **values):
    """Log one activity; returns it (or, dated into a closed quarter by a member, the filed
    CorrectionRequest). ValidationError (nothing written) on bad input."""
    errors = {}
    fields, project_ids, people = inputs.clean(errors, values, regions)
    closed_reason = closed.clean_reason(errors, closed_reason)
    if errors:
        raise ValidationError(errors)
    with tx.write():
        rows = _lock_targets(project_ids, fields["task_force"])
        _check(user, fields["task_force"], project_ids, rows, people)
        filed, extra = closed.gate(user, [fields["occurred_on"]], closed_reason, lambda: dict(
            action="activity", project=rows[0].id if rows else None, task_force=fields["task_force"].id,
            payload=_plain(fields, project_ids, people), summary=_summary(fields)))
        if filed:
            return filed
        activity = Activity.create(user=audit.actor(user), **fields)
        _link(activity, rows, people)
        index.settle(None, index.key_of(activity))
        for row in rows:
            _progress(row, activity.occurred_on)
        audit.record(user, "activity", activity.id, "create", None,
                     dict(audit.snapshot(activity), projects=project_ids, participants=people, **extra))
    return activity


def _progress(row, day):
    columns = project_stale.progressed(row, day)
    if columns:
        save_locked(row, columns)


def _check(user, team, project_ids, rows, people):
    errors = {}
    if len(rows) != len(project_ids):
        errors["projects"] = "涉及项目不存在。"
    inputs.check_links(errors, team, rows, people)
    if user is not None and not user.can_edit_task_force(team.id):
        errors["__all__"] = NOT_ALLOWED
    if not team.active and user is not None:
        errors["task_force"] = f"专班「{team.name}」已停用。"
    if errors:
        raise ValidationError(errors)


def _link(activity, rows, people):
    for row in rows:
        ActivityProject.create(activity=activity, project=row.id)
    for person in people:
        ActivityParticipant.create(activity=activity, user=person)


def project_ids_of(activity_id):
    return [pid for (pid,) in ActivityProject.select(ActivityProject.project)
            .where(ActivityProject.activity == activity_id).order_by(ActivityProject.project).tuples()]


def participant_ids_of(activity_id):
    return [uid for (uid,) in ActivityParticipant.select(ActivityParticipant.user)
            .where(ActivityParticipant.activity == activity_id).order_by(ActivityParticipant.user).tuples()]


def _lock_activity(activity_id):
    try:
        activity_id = int(activity_id)
    except (TypeError, ValueError, OverflowError):
        activity_id = 0
    return tx.lock(Activity, Activity.id == activity_id, missing=MISSING)


def _resettle(rows):
    """Rebuild the last progress date (and the stale flag) of projects an edit or void
    may have taken progress from."""
    for row in rows:
        last = recompute.last_activity_of(row.id)
        if last != row.last_progress_on:
            row.last_progress_on = last
            save_locked(row, ["last_progress_on"])
        project_stale.refresh(row, clock.today())


def edit(user, activity_id, *, version=None, regions=rules.DEFAULT_REGIONS, closed_reason="", **values):
    """Change an activity (its task force stays); ``version`` is the one the form showed."""
    errors = {}
    closed_reason = closed.clean_reason(errors, closed_reason)
    with tx.write():
        activity = _lock_activity(activity_id)
        values["task_force"] = activity.task_force_id
        fields, project_ids, people = inputs.clean(errors, values, regions)
        if errors:
            raise ValidationError(errors)
        if version not in (None, "") and str(version).strip() != str(activity.version):
            raise ValidationError({"version": STALE})
        if activity.voided:
            raise ValidationError({"__all__": "已作废的跟进记录不能修改。"})
        old_projects, old_people = project_ids_of(activity.id), participant_ids_of(activity.id)
        rows = _lock_targets(sorted(set(old_projects) | set(project_ids)), fields["task_force"])
        _check(user, fields["task_force"], project_ids, [r for r in rows if r.id in project_ids], people)
        filed, extra = closed.gate(user, [activity.occurred_on, fields["occurred_on"]], closed_reason,
                                   lambda: dict(action="activity_edit", project=rows[0].id if rows else None,
                                                task_force=activity.task_force_id,
                                                payload=dict(_plain(fields, project_ids, people),
                                                             activity_id=activity.id, version=activity.version),
                                                summary="修改" + _summary(fields)))
        if filed:
            return filed
        before = dict(audit.snapshot(activity), projects=old_projects, participants=old_people)
        counted = index.key_of(activity)
        for key, value in fields.items():
            setattr(activity, key, value)
        activity.version += 1
        activity.updated_at = utcnow()
        activity.save()
        index.settle(counted, index.key_of(activity))
        ActivityProject.delete().where(ActivityProject.activity == activity.id).execute()
        ActivityParticipant.delete().where(ActivityParticipant.activity == activity.id).execute()
        _link(activity, [r for r in rows if r.id in project_ids], people)
        for row in rows:
            if row.id in project_ids:
                _progress(row, activity.occurred_on)
        _resettle(rows)
        old, new = audit.changed(before, dict(audit.snapshot(activity), projects=project_ids,
                                              participants=people))
        audit.record(user, "activity", activity.id, "update", old, {**new, **extra})
    return activity


def void(user, activity_id, reason):
    """作废 an activity with ``reason`` (required): it stays, struck through, and stops
    counting as progress."""
    errors = {}
    reason = text.clean_into(errors, "reason", reason, label="作废原因", max_length=rules.REASON_MAX,
                             required=True, multiline=True)
    if errors:
        raise ValidationError(errors)
    with tx.write():
        activity = _lock_activity(activity_id)
        if activity.voided:
            raise ValidationError({"reason": "该跟进记录已作废。"})
        if user is not None and not user.can_edit_task_force(activity.task_force_id):
            raise ValidationError({"__all__": NOT_ALLOWED})
        rows = _lock_targets(project_ids_of(activity.id), activity.task_force)
        filed, _ = closed.gate(user, [activity.occurred_on], reason, lambda: dict(
            action="activity_void", project=rows[0].id if rows else None, task_force=activity.task_force_id,
            payload={"activity_id": activity.id, "reason": reason},
            summary=f"作废跟进记录 #{activity.id}（{activity.occurred_on.isoformat()}）"), field="reason")
        if filed:
            return filed
        counted = index.key_of(activity)
        activity.voided_at, activity.voided_by, activity.void_reason = utcnow(), audit.actor(user), reason
        activity.save(only=[Activity.voided_at, Activity.voided_by, Activity.void_reason])
        index.settle(counted, None)
        _resettle(rows)
        audit.record(user, "activity", activity.id, "void", {"voided": None},
                     {"voided": f"跟进记录 #{activity.id}", "void_reason": reason})
    return activity
