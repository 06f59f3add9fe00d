"""Excel import batches (issue "Excel in and out"): one row per committed file, and the
projects it created or updated (a link table, so a batch's projects can be listed)."""
from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

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


class ImportJob(BaseModel):
    """A large import committed outside the web workers (issue 18, "Long work"): the commit
    page queues one row, the scheduler process (or ``flask imports work``) claims it with a
    conditional UPDATE (queued -> running, naming its owner) and writes the batch in one
    transaction whose last statement marks the row done, so the batch and "done" commit
    together. A job of kind "preview" judges a large upload once and keeps its judged
    preview beside it instead (services.imports.judged). Progress (rows_done) and the
    heartbeat are written from a second connection (services.imports.jobs)."""
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATES = {QUEUED: "排队中", RUNNING: "导入中", DONE: "已完成", FAILED: "失败"}
    PREVIEW, COMMIT = "preview", "commit"   # judge a large upload once | write the batch

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    kind = CharField(max_length=16, default=COMMIT)
    token = CharField(max_length=64)          # the stored upload (services.imports.store)
    file_name = CharField(max_length=255, default="")
    choices = TextField(default="{}")         # JSON: {row number: "skip"|"update"}
    on_duplicate = CharField(max_length=16, default="skip")
    acknowledged = BooleanField(default=False)   # the preview's warnings, checked by the person
    state = CharField(max_length=16, default=QUEUED, index=True)
    rows_total = IntegerField(default=0)
    rows_done = IntegerField(default=0)
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", backref="+")
    error = TextField(default="")
    created_at = DateTimeField(default=utcnow)   # UTC
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    heartbeat_at = DateTimeField(null=True)
    host = CharField(max_length=255, default="")  # the claiming process
    pid = IntegerField(null=True)

    @property
    def state_label(self):
        return self.STATES.get(self.state, self.state)

    @property
    def in_flight(self):
        return self.state in (self.QUEUED, self.RUNNING)
