"""The amount in force on a date as SQL (domain.amounts.in_force for every project at once):
the ``old_value`` of the first 变更 that took effect after the date, else the column."""
from peewee import fn

from ...domain.amounts import CHANGE
from ...models import AmountChange, Project


def later_changes(as_of):
    """The 变更 rows that took effect after ``as_of`` (none in the usual case)."""
    return AmountChange.select(AmountChange.id).where(
        (AmountChange.kind == CHANGE) & (AmountChange.effective_on > as_of))


def value_in_force(field_name, as_of):
    """SQL expression: ``Project.<field_name>`` as it was in force on ``as_of`` (the
    plain column when no 变更 took effect after ``as_of``, the usual case)."""
    column = getattr(Project, field_name)
    if as_of is None or not later_changes(as_of).exists():
        return column
    earlier = (AmountChange.select(AmountChange.old_value)
               .where((AmountChange.project == Project.id)
                      & (AmountChange.field_name == field_name)
                      & (AmountChange.kind == CHANGE) & (AmountChange.effective_on > as_of))
               .order_by(AmountChange.effective_on, AmountChange.id).limit(1))
    return fn.COALESCE(earlier, column)
