"""Excel import batches (issue "Excel in and out"): one row per committed file, and the
projects it created or updated (a link table, so a batch's projects can be listed)."""
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, utcnow
from .core import Project, User


class ImportBatch(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    file_name = CharField(max_length=255, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    created = IntegerField(default=0)     # new projects
    updated = IntegerField(default=0)     # duplicates updated
    skipped = IntegerField(default=0)     # duplicates skipped (in the file or the ledger)
    unchanged = IntegerField(default=0)   # duplicates identical to the ledger
    # 撤销本批导入: when, by whom, why; the batch's new projects are removed then
    undone_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    undo_reason = TextField(default="")
    undone_projects = IntegerField(default=0)


class ImportBatchProject(BaseModel):
    id = AutoField()
    batch = ForeignKeyField(ImportBatch, backref="links", on_delete="CASCADE")
    project = ForeignKeyField(Project, backref="import_links", on_delete="CASCADE")
    action = CharField(max_length=16)  # created | updated
    row_number = IntegerField()

    class Meta:
        indexes = ((("batch", "project"), True),)
