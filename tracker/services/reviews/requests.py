"""更正申请: the bureau's review of writes into closed quarters (services.ledger.closed
files them, for the ledger's writes and the follow-up log's; docs/design.md, Closed periods).

- :func:`approve` (商务局 / 管理员): one transaction that locks the request, then its
  project, checks the request is still pending (two reviewers pressing 通过 at once: the
  second finds it decided and nothing is written twice), and makes the write the request
  holds through the same use-case a form would call, with the reason as its
  ``closed_reason``: the maintained figures are settled as for any write, the frozen
  snapshot keeps its number. A write that no longer fits the project (it moved on
  meanwhile) is refused with the use-case's message; the request stays pending.
- :func:`reject` with a reason the requester sees; :func:`withdraw` by the requester.
Each decision is one audit row; a rejected or withdrawn request changed nothing else.
"""
import json

from peewee import JOIN

from ...domain import money
from ...domain.errors import NotFound, ValidationError
from ...models import CorrectionRequest, Project, TaskForce, User, utcnow
from .. import audit, tx
from ..activities import log as activity_log
from ..ledger import closed, corrections, projects

MISSING = "更正申请不存在。"
DECIDED = "该更正申请的状态已是「{state}」，不能再处理。"
REVIEWERS_ONLY = "只有商务局或管理员可以审核更正申请。"
CHANGED = "项目的{label}已被修改（现为 {now} 万元，申请时为 {then} 万元），请驳回后重新申请。"
LABELS = {"planned_investment": "计划投资额", "contract_value": "签约额"}


def get(request_id):
    try:
        found = CorrectionRequest.get_or_none(CorrectionRequest.id == int(request_id))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise NotFound(MISSING)
    return found


def is_request(result):
    """Did a write return a filed 更正申请 instead of writing?"""
    return isinstance(result, CorrectionRequest)


def may_read(user, request):
    return user.sees_all or request.task_force_id in user.task_force_ids()


def visible(user, *, state=None, task_force=None):
    """The requests ``user`` may read (all for the bureau, their task forces' otherwise),
    newest first, with project, task force and requester joined."""
    Requester = User.alias()
    query = (CorrectionRequest.select(CorrectionRequest, Project, TaskForce, Requester)
             .join(Project, JOIN.LEFT_OUTER, on=(CorrectionRequest.project == Project.id))
             .switch(CorrectionRequest).join(TaskForce)
             .switch(CorrectionRequest)
             .join(Requester, JOIN.LEFT_OUTER, on=(CorrectionRequest.requested_by == Requester.id),
                   attr="requester")
             .order_by(CorrectionRequest.id.desc()))
    if not user.sees_all:
        query = query.where(CorrectionRequest.task_force.in_(user.task_force_ids() or [0]))
    if state in CorrectionRequest.STATES:
        query = query.where(CorrectionRequest.state == state)
    if task_force:
        query = query.where(CorrectionRequest.task_force == task_force)
    return query


def pending_count(user):
    return visible(user, state=CorrectionRequest.PENDING).count()


def of_project(project_id):
    """A project's requests, pending first then newest."""
    return list(CorrectionRequest.select()
                .where(CorrectionRequest.project == project_id)
                .order_by(CorrectionRequest.state != CorrectionRequest.PENDING,
                          CorrectionRequest.id.desc()))


def _locked_pending(request_id):
    request = tx.lock_id(CorrectionRequest, _int(request_id), missing=MISSING)
    if not request.pending:
        raise ValidationError({"__all__": DECIDED.format(state=request.state_label)})
    return request


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise NotFound(MISSING) from None


def approve(user, request_id, *, stale=None):
    """Apply the request as ``user`` (商务局 / 管理员); returns it, approved."""
    if user is None or not user.sees_all:
        raise ValidationError({"__all__": REVIEWERS_ONLY})
    with tx.write():
        request = _locked_pending(request_id)
        if request.project_id is not None:
            row = projects.lock_project(request.project_id)
        else:
            row = None
        made = _apply(user, request, row, json.loads(request.payload), stale)
        request.state, request.result = CorrectionRequest.APPROVED, made
        _decide(user, request, "approve", "")
    return request


def _apply(user, request, row, payload, stale):
    why = f"更正申请 #{request.id}：{request.reason}"
    action = request.action
    if action == "stage":
        made = projects.change_stage(user, row.id, payload.pop("stage"), closed_reason=why, **payload)
        return f"阶段记录 #{made.id}"
    if action == "funds":
        return f"到位资金 #{projects.record_funds(user, row.id, closed_reason=why, **payload).id}"
    if action == "increase":
        return f"增资 #{projects.add_capital_increase(user, row.id, closed_reason=why, **payload).id}"
    if action == "void":
        corrections.void(user, row.id, payload["kind"], payload["item_id"], payload["reason"],
                         stale=stale)
        return f"已作废 {payload['kind']} #{payload['item_id']}"
    if action == "create":
        made = projects.create_project(user, closed_reason=why, **payload)
        return f"项目 #{made.id}"
    if action == "update":
        return _apply_update(user, row, payload, why)
    return _apply_activity(user, action, payload, why)


def _apply_activity(user, action, payload, why):
    if action == "activity":
        return f"跟进记录 #{activity_log.log(user, closed_reason=why, **payload).id}"
    activity_id = payload.pop("activity_id")
    if action == "activity_edit":
        activity_log.edit(user, activity_id, closed_reason=why, **payload)
        return f"跟进记录 #{activity_id} 已修改"
    activity_log.void(user, activity_id, payload["reason"])
    return f"跟进记录 #{activity_id} 已作废"


def _apply_update(user, row, payload, why):
    for name, then in payload.pop("expect").items():
        now = getattr(row, name)
        if now is None or money.to_decimal(now) != money.to_decimal(then):
            raise ValidationError({"__all__": CHANGED.format(
                label=LABELS[name], now=money.fmt_wan(now or 0), then=money.fmt_wan(then))})
    projects.update_project(user, row.id, closed_reason=why, **payload)
    return "项目信息已修改"


def reject(user, request_id, reason):
    """Refuse the request with ``reason`` (required) the requester will read."""
    if user is None or not user.sees_all:
        raise ValidationError({"__all__": REVIEWERS_ONLY})
    errors = {}
    reason = closed.clean_reason(errors, reason, field="decision_note")
    if not reason and "decision_note" not in errors:
        errors["decision_note"] = "请填写驳回原因。"
    if errors:
        raise ValidationError(errors)
    with tx.write():
        request = _locked_pending(request_id)
        request.state = CorrectionRequest.REJECTED
        _decide(user, request, "reject", reason)
    return request


def withdraw(user, request_id):
    """The requester takes back a pending request."""
    with tx.write():
        request = _locked_pending(request_id)
        if user is None or request.requested_by_id != user.id:
            raise ValidationError({"__all__": "只有申请人可以撤回更正申请。"})
        request.state = CorrectionRequest.WITHDRAWN
        _decide(user, request, "withdraw", "")
    return request


def _decide(user, request, action, note):
    request.decided_by, request.decided_at, request.decision_note = audit.actor(user), utcnow(), note
    request.save(only=[CorrectionRequest.state, CorrectionRequest.result, CorrectionRequest.decided_by,
                       CorrectionRequest.decided_at, CorrectionRequest.decision_note])
    after = {"state": request.state}
    if note:
        after["decision_note"] = note
    if request.result:
        after["result"] = request.result
    audit.record(user, "correction_request", request.id, action, {"state": CorrectionRequest.PENDING},
                 after)
