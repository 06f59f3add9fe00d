"""Annual targets: versioned per task force/metric, county funds goals, checkpoint shares.

A target change never updates a row: it adds the next version, so reports can
name the version they used and the history shows who changed what and why.
"""
from peewee import (
    AutoField, CharField, DateTimeField, DecimalField, ForeignKeyField, IntegerField, TextField,
)

from .base import BaseModel, MoneyField, utcnow
from .core import County, TaskForce, User


class TaskForceTarget(BaseModel):
    """One version of a task force's annual target for one metric.

    ``value`` is 万元 for money metrics and a count for ``negotiations``;
    NULL means "no target" (e.g. the optional funds target was cleared)."""
    id = AutoField()
    task_force = ForeignKeyField(TaskForce, backref="targets", on_delete="CASCADE")
    year = IntegerField()
    metric = CharField(max_length=32)
    version = IntegerField()
    value = MoneyField(null=True)
    reason = TextField(default="")
    set_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    set_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("task_force", "year", "metric", "version"), True),)


class CountyTarget(BaseModel):
    """One version of a county/zone's 到位资金 goal for a year.

    ``base``: last year's funds entered by hand (NULL: computed from the ledger);
    ``growth_pct``: required growth over the base in percent (default 20)."""
    id = AutoField()
    county = ForeignKeyField(County, backref="targets", on_delete="CASCADE")
    year = IntegerField()
    version = IntegerField()
    base = MoneyField(null=True)
    growth_pct = DecimalField(max_digits=7, decimal_places=2, default=20)
    reason = TextField(default="")
    set_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    set_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("county", "year", "version"), True),)


class CheckpointShare(BaseModel):
    """Cumulative share of the annual target due at the end of each quarter (percent)."""
    id = AutoField()
    year = IntegerField()
    metric = CharField(max_length=32)
    q1 = DecimalField(max_digits=5, decimal_places=2)
    q2 = DecimalField(max_digits=5, decimal_places=2)
    q3 = DecimalField(max_digits=5, decimal_places=2)
    q4 = DecimalField(max_digits=5, decimal_places=2)
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("year", "metric"), True),)

    @property
    def shares(self):
        return (self.q1, self.q2, self.q3, self.q4)
