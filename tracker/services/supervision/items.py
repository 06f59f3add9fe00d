"""督办 writes (docs/design.md, The write path): open an item, reply, close, reopen.

Each is one transaction that locks the item first (opening one locks its task force), checks
who may and the state it read, writes the item and one thread line, and one audit row. A
reply racing a close is decided by the lock: the reply that comes second to a closed item is
refused (no reply lost, none added to a closed item without reopening it).
"""
from ... import clock
from ...domain import supervision as rules
from ...domain import text
from ...domain.errors import NotFound, ValidationError
from ...models import Project, SupervisionItem, SupervisionReply, TaskForce, User, utcnow
from .. import audit, dataversion, tx
from ..ledger import inputs as ledger_inputs

MISSING = "督办事项不存在。"
BUREAU_ONLY = "只有商务局或管理员可以交办、办结或退回督办事项。"
NOT_RESPONSIBLE = "只有责任专班的成员和负责人可以反馈进展。"


def get(item_id):
    try:
        found = SupervisionItem.get_or_none(SupervisionItem.id == int(item_id))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise NotFound(MISSING)
    return found


def _bureau(user):
    if user is not None and not user.sees_all:
        raise ValidationError({"__all__": BUREAU_ONLY})


def _text(errors, field, value, label, max_length, required=True):
    return text.clean_into(errors, field, value, label=label, max_length=max_length, required=required,
                           multiline=True)


def _reference(errors, field, model, value, message):
    if value in (None, ""):
        return None
    try:
        found = model.get_or_none(model.id == int(value))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        errors[field] = message
    return found


def _clean(values):
    errors = {}
    out = {"title": text.clean_into(errors, "title", values.get("title"), label="标题",
                                    max_length=rules.TITLE_MAX, required=True),
           "problem": _text(errors, "problem", values.get("problem"), "问题描述", rules.TEXT_MAX),
           "instruction": _text(errors, "instruction", values.get("instruction"), "领导批示", rules.TEXT_MAX,
                                required=False),
           "instruction_by": text.clean_into(errors, "instruction_by", values.get("instruction_by"),
                                             label="批示领导", max_length=rules.WHO_MAX)}
    out["task_force"] = _reference(errors, "task_force", TaskForce, values.get("task_force"), "责任专班不存在。")
    if out["task_force"] is None:
        errors.setdefault("task_force", "请选择责任专班。")
    out["project"] = _reference(errors, "project", Project, values.get("project"), "项目不存在。")
    out["responsible"] = _reference(errors, "responsible", User, values.get("responsible"), "责任人不存在。")
    out["deadline"] = ledger_inputs.day(errors, "deadline", values.get("deadline"), label="办理期限", event=False)
    if out["deadline"] is not None and out["deadline"] < clock.today():
        errors["deadline"] = "办理期限不能早于今天。"
    out["instruction_on"] = ledger_inputs.day(errors, "instruction_on", values.get("instruction_on"),
                                              required=False, label="批示日期")
    priority = values.get("priority") or "normal"
    if priority not in rules.PRIORITIES:
        errors["priority"] = "优先级只能是一般、重点或紧急。"
    out["priority"] = priority
    _check_links(errors, out)
    if errors:
        raise ValidationError(errors)
    return out


def _check_links(errors, out):
    team, project, person = out["task_force"], out["project"], out["responsible"]
    if team is not None and project is not None and project.task_force_id != team.id:
        errors["project"] = "项目不属于责任专班。"
    if team is not None and person is not None and team.id not in person.task_force_ids():
        errors["responsible"] = "责任人须是责任专班的成员或负责人。"


def open_item(user, **values):
    """交办 an item (the bureau); returns it."""
    _bureau(user)
    fields = _clean(values)
    with tx.write():
        tx.lock(TaskForce, TaskForce.id == fields["task_force"].id)
        item = SupervisionItem.create(opened_by=audit.actor(user), state=rules.OPEN, **fields)
        audit.record(user, "supervision_item", item.id, "create", None, audit.snapshot(item))
        dataversion.changed()   # the 通报 remembered per version names the overdue items
    return item


def _locked(item_id):
    try:
        item_id = int(item_id)
    except (TypeError, ValueError, OverflowError):
        item_id = 0
    return tx.lock(SupervisionItem, SupervisionItem.id == item_id, missing=MISSING)


def _line(user, item, kind, words):
    return SupervisionReply.create(item=item.id, kind=kind, text=words, user=audit.actor(user))


def _save(item, before, user, action, words):
    item.version += 1
    item.save()
    old, new = audit.changed(before, audit.snapshot(item))
    audit.record(user, "supervision_item", item.id, action, old, dict(new, text=words))
    dataversion.changed()


def reply(user, item_id, words):
    """进展反馈 from the responsible task force; the first one starts the work."""
    errors = {}
    words = _text(errors, "text", words, "进展反馈", rules.TEXT_MAX)
    if errors:
        raise ValidationError(errors)
    with tx.write():
        item = _locked(item_id)
        if user is not None and item.task_force_id not in user.task_force_ids():
            raise ValidationError({"__all__": NOT_RESPONSIBLE})
        if item.state == rules.CLOSED:
            raise ValidationError({"text": "该事项已办结，不能再反馈；如需继续办理，请商务局退回。"})
        before = audit.snapshot(item)
        item.state, item.last_reply_at = rules.after_reply(item.state), utcnow()
        _line(user, item, "reply", words)
        _save(item, before, user, "reply", words)
    return item


def _decide(user, item_id, words, field, label, kind, apply):
    """办结 or 退回 (the bureau): one line of the thread with its text, the item changed by
    ``apply(item)`` (which refuses a state it does not fit)."""
    _bureau(user)
    errors = {}
    words = _text(errors, field, words, label, rules.NOTE_MAX)
    if errors:
        raise ValidationError(errors)
    with tx.write():
        item = _locked(item_id)
        before = audit.snapshot(item)
        apply(item)
        _line(user, item, kind, words)
        _save(item, before, user, kind, words)
    return item


def _closing(item):
    if item.state == rules.CLOSED:
        raise ValidationError({"note": "该事项已办结。"})
    item.state, item.closed_at = rules.CLOSED, utcnow()


def _reopening(item):
    if item.state != rules.CLOSED:
        raise ValidationError({"reason": "只有已办结的事项可以退回。"})
    item.state, item.closed_at = rules.IN_PROGRESS, None


def close(user, item_id, note):
    """办结 with a 办结说明 (the bureau)."""
    return _decide(user, item_id, note, "note", "办结说明", "close", _closing)


def reopen(user, item_id, reason):
    """退回 a closed item with a reason (the bureau): it is 办理中 again."""
    return _decide(user, item_id, reason, "reason", "退回原因", "reopen", _reopening)
