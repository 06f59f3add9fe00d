"""Maintained monthly figures (docs/design.md, Metrics and counting rules; The write
path, step 9): the ledger's contribution per (scope, owner, metric, year, month), kept up to
date in the same transaction as every write that changes it (tracker/services/figures/monthly.py).

``scope`` is ``task_force`` (owner = task force id; the four metrics) or ``county``
(owner = county id; ``funds_received`` only). ``cents`` is the value x 100 as an exact
integer (万元 cents; a count x 100 for ``negotiations``): adding deltas never rounds.
``day`` 0 is the month's total; days 1..31 hold the same values per day, so a report
judged inside a month reads that month's days up to its date instead of the ledger."""
from peewee import AutoField, BigIntegerField, CharField, IntegerField

from .base import BaseModel

TASK_FORCE, COUNTY = "task_force", "county"


class MonthlyFigure(BaseModel):
    id = AutoField()
    scope = CharField(max_length=16)
    year = IntegerField()
    month = IntegerField()
    day = IntegerField(default=0)   # 0: the whole month
    owner = IntegerField()
    metric = CharField(max_length=32)
    cents = BigIntegerField(default=0)

    class Meta:
        indexes = ((("scope", "year", "month", "day", "owner", "metric"), True),
                   # the month rows alone (day 0), without walking the day rows
                   (("scope", "day", "year", "month", "metric", "owner", "cents"), False))

    @property
    def key(self):
        return (self.scope, self.owner, self.metric, self.year, self.month, self.day)
