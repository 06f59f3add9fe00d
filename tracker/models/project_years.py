"""Maintained years of each project (issue "City and province scale"): one row per year
in which the project was created, first reached a milestone or had a counted stage event,
receipt or 增资 — the meaning of services.ledger.listing.year_condition, kept up to date in the
same transaction as every write (tracker/services/figures/years.py) so the ledger's 年度
filter reads one index range instead of testing every project."""
from peewee import AutoField, ForeignKeyField, IntegerField

from .base import BaseModel
from .core import Project


class ProjectYear(BaseModel):
    id = AutoField()
    project = ForeignKeyField(Project, on_delete="CASCADE", backref="+")
    year = IntegerField()

    class Meta:
        table_name = "project_year"
        indexes = ((("year", "project"), True),)
