"""Which amount is in force on a date (docs/design.md, Corrections).

A project's 计划投资额 and 签约额 change in two ways: a 更正 (``correction``, a typing mistake:
the new value replaces the old one for every date) or a 变更 (``change``, a real change in
force from its effective date; dates before it keep the old value). So the value in force
on a date is the old value of the first 变更 that took effect after that date, and the
current value when there is none. The metrics of a past as-of date sum these values
(tracker/services/figures/in_force.py is the same rule in SQL).
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

CORRECTION, CHANGE = "correction", "change"
AMOUNT_FIELDS = ("planned_investment", "contract_value")


@dataclass(frozen=True)
class Change:
    """One recorded change of an amount: its kind, effective date (变更 only) and the value
    it replaced."""
    kind: str
    effective_on: datetime.date | None
    old_value: Decimal | None


def in_force(current, changes, as_of):
    """The value in force on ``as_of``: ``current`` unless a 变更 took effect after
    ``as_of``; then the old value of the first such 变更 (``changes`` in recorded order,
    as (kind, effective_on, old_value) or Change; 更正 never date a value)."""
    later = [c for c in map(_as_change, changes)
             if c.kind == CHANGE and c.effective_on is not None and c.effective_on > as_of]
    if not later:
        return current
    first = min(enumerate(later), key=lambda pair: (pair[1].effective_on, pair[0]))[1]
    return first.old_value


def _as_change(change):
    return change if isinstance(change, Change) else Change(*change)
