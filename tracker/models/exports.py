"""Ledger exports written outside the web workers (issue 18, "Long work"): one row per
export too large to write inside a request. The export page queues it, the scheduler
process (or ``flask export work``) claims it (queued -> running, naming its owner), writes
the workbook under the instance folder and marks it done with the file's names; progress
(rows_done) and the heartbeat come from a second connection (services.exports.jobs)."""
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, utcnow
from .core import User


class ExportJob(BaseModel):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATES = {QUEUED: "排队中", RUNNING: "导出中", DONE: "已完成", FAILED: "失败"}
    LEDGER = "ledger"

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    kind = CharField(max_length=16, default=LEDGER)
    filters = TextField(default="{}")         # JSON: the ledger filters, as the page had them
    token = CharField(max_length=64, unique=True)   # the file's name under <instance>/exports
    file_name = CharField(max_length=255, default="")        # the download's zh-CN name
    ascii_name = CharField(max_length=255, default="")       # its ASCII fallback
    state = CharField(max_length=16, default=QUEUED, index=True)
    rows_total = IntegerField(default=0)
    rows_done = IntegerField(default=0)
    error = TextField(default="")
    created_at = DateTimeField(default=utcnow, index=True)   # UTC
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    heartbeat_at = DateTimeField(null=True)
    host = CharField(max_length=255, default="")   # the claiming process
    pid = IntegerField(null=True)

    @property
    def state_label(self):
        return self.STATES.get(self.state, self.state)

    @property
    def in_flight(self):
        return self.state in (self.QUEUED, self.RUNNING)
