"""更正 / 变更 of a project's 计划投资额 and 签约额 (docs/design.md, Corrections).

An edit that changes one of the two amounts says which kind of change it is:

- 更正 (``correction``): a typing mistake. The value is replaced for every date (it
  replaces the value in force since the last 变更, or for all dates when there is none).
- 变更 (``change``): a real change in force from a date (not after today). Dates before
  it keep the old value.

Both need a reason and are kept in ``AmountChange`` (one row per amount changed), shown
in the project's timeline. Which value is in force on a past date is a domain rule
(domain.amounts.in_force; in SQL services.figures.in_force). A first 签约额 typed into an empty field is not a
change of a counted value and needs no kind.
"""
from peewee import JOIN, fn

from ... import clock
from ...domain.amounts import AMOUNT_FIELDS, CHANGE
from ...domain.errors import ValidationError
from ...models import AmountChange, User
from .. import audit
from . import inputs as clean

KINDS = AmountChange.KINDS
REASON_MAX = 500

NEED_KIND = "修改了签约额或计划投资额，请选择修改类型：更正（录入错误，各日期均按新值）或变更（自某日起实际变化）。"
NEED_REASON = "修改签约额或计划投资额须填写原因。"
NEED_DATE = "变更须填写生效日期。"


def clean_change(errors, kind, on, reason):
    """The kind, effective date and reason given with an edit, checked before the
    transaction: {"kind", "on", "reason"} (None / "" when not given)."""
    kind = str(kind).strip() if kind is not None else ""
    kind = kind or None
    if kind is not None and kind not in KINDS:
        errors["change_kind"] = "修改类型只能是更正或变更。"
        kind = None
    day = clean.day(errors, "change_on", on, required=False, label="变更生效日期")
    reason = clean.clean_text(errors, "change_reason", reason, "修改原因", REASON_MAX)
    return {"kind": kind, "on": day, "reason": reason}


def changed_amounts(row, cleaned):
    """{field: (old, new)} of the amounts the edit changes from a value already set."""
    out = {}
    for name in AMOUNT_FIELDS:
        old = getattr(row, name)
        if name in cleaned and old is not None and cleaned[name] != old:
            out[name] = (old, cleaned[name])
    return out


def last_change_on(project_id, names):
    return (AmountChange.select(fn.MAX(AmountChange.effective_on))
            .where((AmountChange.project == project_id) & (AmountChange.kind == CHANGE)
                   & AmountChange.field_name.in_(list(names)))
            .scalar())


def check(row, amounts, change):
    """Rules of an edit that changes ``amounts`` of the locked ``row``; raises
    ValidationError (nothing written). A kind given without any amount change is ignored."""
    if not amounts:
        return
    errors = {}
    if change["kind"] is None:
        errors["change_kind"] = NEED_KIND
    if not change["reason"]:
        errors["change_reason"] = NEED_REASON
    if change["kind"] == CHANGE:
        last = clock.as_date(last_change_on(row.id, amounts))
        if change["on"] is None:
            errors["change_on"] = NEED_DATE
        elif last is not None and change["on"] < last:
            errors["change_on"] = f"变更生效日期不能早于上次变更的生效日期 {last.isoformat()}。"
    if errors:
        raise ValidationError(errors)


def record(user, row, amounts, change):
    """One AmountChange per changed amount; returns what the edit's audit row adds."""
    if not amounts:
        return {}
    who = audit.actor(user)
    effective = change["on"] if change["kind"] == CHANGE else None
    for name, (old, new) in amounts.items():
        AmountChange.create(project=row.id, field_name=name, kind=change["kind"],
                            effective_on=effective, recorded_on=clock.today(), old_value=old,
                            new_value=new, reason=change["reason"], user=who)
    extra = {"change_kind": change["kind"], "change_reason": change["reason"]}
    if effective is not None:
        extra["change_on"] = effective
    return extra


def history(project):
    """Every amount change of ``project`` (user joined), oldest first."""
    return list(AmountChange.select(AmountChange, User).join(User, JOIN.LEFT_OUTER)
                .where(AmountChange.project == project)
                .order_by(AmountChange.created_at, AmountChange.id))
