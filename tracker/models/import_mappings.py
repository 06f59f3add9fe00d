"""The column mapping of an import remembered per user and task force (issue 18): the
decisions the person made for a sheet's headings, applied to the next file with the same
headings (domain.import_checks.signature)."""
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, utcnow
from .core import User


class ImportMapping(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    team = IntegerField(default=0)        # the task force's id; 0: none (several or unknown)
    signature = CharField(max_length=64)  # of the sheet's headings
    # JSON {column letter: [field key or "", unit or null]}
    decisions = TextField(default="{}")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "import_mapping"
        indexes = ((("user", "team", "signature"), True),)
