"""The closed-period rule inside a ledger write (tracker/domain/closed_periods.py).

Every write that can change a figure calls :func:`gate` inside its transaction, right
after its lock and its own checks and before it changes anything, with the dates whose
figures it would change:

- nothing in a closed quarter: ``(None, {})``, the write goes on;
- the 商务局 or an administrator: the write goes on with the reason it was given
  (``closed_reason``, refused without one), which ``audit`` extra carries into its audit
  row; the frozen snapshot keeps its number;
- anyone else: with a reason, a 更正申请 is filed (one row, one audit row) and returned
  instead of writing; without one, a message asks for it.

A command or job run by the operator (no user) writes as the bureau does; a reason is
recorded when given. New entry types call the same function and inherit the rule.
"""
import datetime
import json
from decimal import Decimal

from ... import clock
from ...domain import closed_periods as rule
from ...domain import figures as F
from ...domain import text
from ...domain.errors import ValidationError
from ...models import BaseModel, CorrectionRequest, County, TaskForce, User
from .. import audit
from . import amounts, describe


def clean_reason(errors, reason, field="closed_reason"):
    return text.clean_into(errors, field, reason, label="原因", max_length=rule.REASON_MAX,
                           multiline=True)


def judge(user, days, today=None):
    """(OPEN | DIRECT | REQUEST, earliest closed day) for ``user`` writing on ``days``."""
    sees_all = user is None or user.sees_all
    return rule.verdict(days, today or clock.today(), sees_all=sees_all)


def gate(user, days, reason, request, field="closed_reason"):
    """Inside the write's transaction: ``(filed CorrectionRequest or None, audit extra)``.
    ``request`` is called (only when a request is filed) for its ``action``,
    ``project``, ``task_force``, ``payload`` and ``summary``. ``field`` is the form field
    the reason comes from (a void's own reason)."""
    kind, day = judge(user, days)
    if kind == rule.OPEN:
        return None, {}
    if user is not None and not reason:
        raise ValidationError({field: rule.reason_message(kind, day)})
    if kind == rule.DIRECT:
        return None, ({"closed_reason": reason} if reason else {})
    return file(user, day, reason, **request()), {}


def plain(value):
    """A write's argument as JSON can hold it (and its cleaning reads back)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.get_id()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def file(user, day, reason, *, action, project, task_force, payload, summary):
    """Store a pending 更正申请 (and its audit row); returns it."""
    request = CorrectionRequest.create(
        project=project, task_force=task_force, action=action,
        payload=json.dumps({k: plain(v) for k, v in payload.items()}, ensure_ascii=False),
        summary=summary, closed_on=day, reason=reason, requested_by=audit.actor(user))
    audit.record(user, "correction_request", request.id, "create", None,
                 {"project": plain(project), "action": action, "summary": summary,
                  "closed_on": day, "reason": reason})
    return request


# --- which dates an edit of the project's fields touches -----------------------------

REACHED_ON = {"planned_investment": "packaged_on", "contract_value": "signed_on"}
REFERENCES = {"task_force": TaskForce, "county": County, "owner": User}


def _named(name, value):
    model = REFERENCES.get(name)
    return model.get_or_none(model.id == value) if model and value is not None else value


def figure_days(contribution, scope=None):
    """The dates of a project's counted figures ({key: cents} of figures.monthly; the
    pipeline's forecasts, dated by the expected signing date, are not reported figures);
    ``scope``: only the task force's or only the county's."""
    return sorted({datetime.date(year, month, day) for (kind, _, metric, year, month, day), cents
                   in contribution.items()
                   if day and cents and not metric.startswith("pl_") and scope in (None, kind)})


def update_days(row, counted, new, changed_amounts, change):
    """Dates whose figures an edit changes: a move to another task force moves every figure
    the project counted (``counted``, its contribution before the edit), a move to another
    county its 到位资金; a
    changed amount changes the value counted on its 策划包装/签约 date (the domain rule)."""
    days = figure_days(counted) if "task_force" in new else []
    if "county" in new:
        days += figure_days(counted, F.COUNTY)
    for name in changed_amounts:
        last = clock.as_date(amounts.last_change_on(row.id, [name]))
        days += rule.amount_days(getattr(row, REACHED_ON[name]), last, change["kind"], change["on"])
    return days


def update_request(row, old, new, changed_amounts, change):
    """The 更正申请 of an edit: only the fields it changes (a later approval leaves what
    others saved meanwhile alone) and the amounts it expects to find. ``old``: the changed
    fields' stored values (ids for references, named only here, when a request is filed)."""
    shown = {name: _named(name, value) for name, value in old.items()}
    payload = dict(new, change_kind=change["kind"], change_on=change["on"],
                   change_reason=change["reason"],
                   expect={name: plain(old) for name, (old, _) in changed_amounts.items()})
    return dict(action="update", project=row.id, task_force=row.task_force_id, payload=payload,
                summary=describe.update(shown, new, changed_amounts, change))
