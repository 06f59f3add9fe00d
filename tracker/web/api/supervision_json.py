"""``GET /api/v1/supervision`` (and ``/api/v1/supervision/<id>``): the 督办 list with the list
page's filters, as JSON; an item's thread on request (``thread=1``) or on the item's own URL."""
from ...domain import supervision as rules
from ...services.supervision import listing
from .query_args import int_arg

PER_PAGE_MAX = 500
TRUE = ("1", "true")


def parse_query(args):
    """(listing.Filters, page, per_page, with_thread, {field: message})."""
    errors = {}
    state = args.get("state", "")
    if state and state not in rules.STATES:
        errors["state"] = f"state 应为 {', '.join(rules.STATES)} 之一。"
    priority = args.get("priority", "")
    if priority and priority not in rules.PRIORITIES:
        errors["priority"] = f"priority 应为 {', '.join(rules.PRIORITIES)} 之一。"
    flags = {}
    for name in ("overdue", "due_this_week", "thread"):
        raw = args.get(name, "")
        if raw not in ("", "0", "1", "true", "false"):
            errors[name] = f"{name} 应为 1/true 或 0/false。"
        flags[name] = raw in TRUE
    filters = listing.Filters(state=state if "state" not in errors else "",
                              task_force=int_arg(args, "task_force", errors),
                              priority=priority if "priority" not in errors else "",
                              overdue=flags["overdue"], this_week=flags["due_this_week"])
    page = int_arg(args, "page", errors, 1)
    per_page = int_arg(args, "per_page", errors, 100, PER_PAGE_MAX)
    return filters, page, per_page, flags["thread"], errors


def _day(value):
    return value.isoformat() if value else None


def _moment(value):
    """A stored (naive UTC) time as ISO 8601 in UTC, as the snapshots' frozen_at."""
    return None if value is None else value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def reply_json(r):
    return {"id": r.id, "kind": r.kind, "kind_label": r.kind_label, "text": r.text,
            "user": str(r.user) if r.user_id else None, "at": _moment(r.created_at)}


def item_json(i, today, thread=None):
    out = {
        "id": i.id, "title": i.title, "problem": i.problem,
        "task_force": {"id": i.task_force_id, "code": i.task_force.code, "name": i.task_force.name},
        "project": {"id": i.project_id, "name": i.project.name} if i.project_id else None,
        "responsible": ({"id": i.responsible_id, "name": str(i.responsible_user)} if i.responsible_id else None),
        "deadline": _day(i.deadline), "priority": i.priority, "priority_label": rules.priority_label(i.priority),
        "state": i.state, "state_label": rules.state_label(i.state),
        "overdue": rules.overdue(i.state, i.deadline, today),
        "days_overdue": rules.days_overdue(i.state, i.deadline, today),
        "instruction": i.instruction or None, "instruction_by": i.instruction_by or None,
        "instruction_on": _day(i.instruction_on),
        "opened_at": _moment(i.opened_at), "last_reply_at": _moment(i.last_reply_at),
        "closed_at": _moment(i.closed_at),
    }
    if thread is not None:
        out["thread"] = [reply_json(r) for r in thread]
    return out
