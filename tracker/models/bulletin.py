"""The 通报's own words (issue 20): what the bureau writes into a checkpoint's 通报, kept per
(year, checkpoint) so the page, its print and the .docx say it after a reload."""
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, utcnow
from .core import User


class BulletinNote(BaseModel):
    """四、下步要求 and an optional 按语 (the opening words) of one 通报."""
    id = AutoField()
    year = IntegerField()
    checkpoint = CharField(max_length=8)        # q1 | h1 | q3 | year
    requirements = TextField(default="")        # 四、下步要求, as typed (line breaks kept)
    remarks = TextField(default="")             # 按语 before 一、总体情况, as typed
    version = IntegerField(default=1)           # an edit carries it; a stale one is refused
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "bulletin_note"
        indexes = ((("year", "checkpoint"), True),)
