"""Scheduler bookkeeping and what the jobs produce: job runs, frozen quarter
snapshots and stale-project flags."""
from peewee import (
    AutoField, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
    IntegerField, TextField,
)

from .base import BaseModel, utcnow
from .core import Project, TaskForce


class JobRun(BaseModel):
    """One run of a scheduled job for one period (e.g. quarter-close 2026-Q2).

    UNIQUE (job, period_key) is the lock between scheduler processes: the
    process whose INSERT succeeds owns the period; an IntegrityError means
    another process has it. A failed run is re-claimed by a conditional UPDATE
    (outcome='failed' -> 'running'), see tracker/scheduler.py. A running row names
    its owner (host, pid) and carries a heartbeat, so a dead owner is seen early.
    """
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    OUTCOMES = {RUNNING: "运行中", OK: "成功", FAILED: "失败"}

    id = AutoField()
    job = CharField(max_length=64)
    period_key = CharField(max_length=32)
    outcome = CharField(max_length=16, default=RUNNING)
    attempts = IntegerField(default=1)
    started_at = DateTimeField(default=utcnow)  # UTC
    finished_at = DateTimeField(null=True)  # UTC
    detail = TextField(default="")
    host = CharField(max_length=255, default="")  # the claiming process (migration 0012)
    pid = IntegerField(null=True)
    heartbeat_at = DateTimeField(null=True)  # UTC; the running job refreshes it

    class Meta:
        indexes = ((("job", "period_key"), True),)

    @property
    def outcome_label(self):
        return self.OUTCOMES.get(self.outcome, self.outcome)


class QuarterSnapshot(BaseModel):
    """A task force's result for one metric in a closed quarter, frozen at the
    quarter close. Rows are only ever inserted, never updated."""
    id = AutoField()
    year = IntegerField()  # percentages below follow tracker.domain.periods
    quarter = IntegerField()  # 1..4
    task_force = ForeignKeyField(TaskForce, backref="quarter_snapshots", on_delete="RESTRICT")
    metric = CharField(max_length=32)
    target = DecimalField(max_digits=16, decimal_places=2, null=True)  # annual target
    target_version = IntegerField(null=True)
    checkpoint_share = DecimalField(max_digits=6, decimal_places=2, null=True)  # percent: 25.00
    checkpoint_target = DecimalField(max_digits=16, decimal_places=2, null=True)
    catch_up_target = DecimalField(max_digits=16, decimal_places=2, null=True)
    quarter_actual = DecimalField(max_digits=16, decimal_places=2)
    cumulative_actual = DecimalField(max_digits=16, decimal_places=2)
    completion = DecimalField(max_digits=10, decimal_places=2, null=True)  # percent
    time_progress = DecimalField(max_digits=6, decimal_places=2, null=True)  # percent
    gap_points = DecimalField(max_digits=10, decimal_places=2, null=True)  # completion - time
    status = CharField(max_length=16, default="")
    frozen_at = DateTimeField(default=utcnow)  # UTC

    class Meta:
        indexes = ((("year", "quarter", "task_force", "metric"), True),)


class StaleFlag(BaseModel):
    """A project that has gone without logged progress long enough for a level
    (yellow / red / propose_drop). At most one open (uncleared) flag per
    project: escalation clears the milder flag and opens the next one."""
    id = AutoField()
    project = ForeignKeyField(Project, backref="stale_flags", on_delete="CASCADE")
    level = CharField(max_length=16)
    last_progress_on = DateField()  # the silence started here
    since = DateField(index=True)  # the date this level was reached
    raised_on = DateField()  # scan date that raised it
    cleared_on = DateField(null=True, index=True)
    cleared_reason = CharField(max_length=16, default="")  # progress | escalated | closed

    class Meta:
        indexes = ((("project", "level", "last_progress_on"), True),
                   # the open flags of one level in list order (longest silent first)
                   (("cleared_on", "level", "last_progress_on", "project"), False))
