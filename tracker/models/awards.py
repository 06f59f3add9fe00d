"""落地成效 award rankings frozen by the bureau (tracker/services/awards/ranking.py).

``AwardFreeze`` is the one frozen ranking of a year: UNIQUE (year) makes a second freeze
fail, also when two bureau users press 冻结 at once. Its ``AwardRanking`` rows hold what each
task force was judged on, its score and rank, and the parts of the score as they were
computed (``parts``: JSON, so a later change of the rules never alters a frozen ranking).
Rows are only ever inserted, never updated."""
from peewee import (
    AutoField, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
    IntegerField, TextField,
)

from .base import BaseModel, MoneyField, utcnow
from .core import TaskForce, User


class AwardFreeze(BaseModel):
    id = AutoField()
    year = IntegerField(unique=True)
    as_of = DateField()  # the ledger was judged up to this local date
    weights = TextField(default="")  # JSON {key: weight}
    maxima = TextField(default="")  # JSON {count key: the year's largest count}
    frozen_at = DateTimeField(default=utcnow)  # UTC
    frozen_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")


class AwardRanking(BaseModel):
    id = AutoField()
    freeze = ForeignKeyField(AwardFreeze, backref="rows", on_delete="CASCADE")
    task_force = ForeignKeyField(TaskForce, backref="+", on_delete="RESTRICT")
    code = CharField(max_length=32)  # as it was at the freeze
    name = CharField(max_length=100)
    rank = IntegerField()
    score = DecimalField(max_digits=8, decimal_places=2)
    signed = IntegerField(default=0)
    started = IntegerField(default=0)
    started_in_year = IntegerField(default=0)
    producing = IntegerField(default=0)
    contract_total = MoneyField(default=0)
    funds_received = MoneyField(default=0)
    big_projects = IntegerField(default=0)
    top_investors = IntegerField(default=0)
    parts = TextField(default="")  # JSON {key: [value, basis, weight, contribution]}

    class Meta:
        indexes = ((("freeze", "task_force"), True),)
