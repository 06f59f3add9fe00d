"""Scheduling: job runs (run-once-per-period lock), frozen quarter snapshots and
stale-project flags.

Timestamp defaults (utcnow) are set in Python."""
from peewee import *


def up(migrator, db):
    class Project(Model):
        class Meta:
            database = db
            table_name = 'project'

    class TaskForce(Model):
        class Meta:
            database = db
            table_name = 'task_force'

    class JobRun(Model):
        job = CharField(max_length=64)
        period_key = CharField(max_length=32)
        outcome = CharField(max_length=16, default='running')
        attempts = IntegerField(default=1)
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        detail = TextField(default='')
        class Meta:
            database = db
            table_name = 'job_run'
            indexes = ((('job', 'period_key'), True),)
    db.create_tables([JobRun])

    class QuarterSnapshot(Model):
        year = IntegerField()
        quarter = IntegerField()
        task_force = ForeignKeyField(TaskForce, on_delete='RESTRICT')
        metric = CharField(max_length=32)
        target = DecimalField(null=True, max_digits=16, decimal_places=2)
        target_version = IntegerField(null=True)
        checkpoint_share = DecimalField(null=True, max_digits=6, decimal_places=2)
        checkpoint_target = DecimalField(null=True, max_digits=16, decimal_places=2)
        catch_up_target = DecimalField(null=True, max_digits=16, decimal_places=2)
        quarter_actual = DecimalField(max_digits=16, decimal_places=2)
        cumulative_actual = DecimalField(max_digits=16, decimal_places=2)
        completion = DecimalField(null=True, decimal_places=2)
        time_progress = DecimalField(null=True, max_digits=6, decimal_places=2)
        gap_points = DecimalField(null=True, decimal_places=2)
        status = CharField(max_length=16, default='')
        frozen_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'quarter_snapshot'
            indexes = ((('year', 'quarter', 'task_force', 'metric'), True),)
    db.create_tables([QuarterSnapshot])

    class StaleFlag(Model):
        project = ForeignKeyField(Project, on_delete='CASCADE')
        level = CharField(max_length=16)
        last_progress_on = DateField()
        since = DateField(index=True)
        raised_on = DateField()
        cleared_on = DateField(index=True, null=True)
        cleared_reason = CharField(max_length=16, default='')
        class Meta:
            database = db
            table_name = 'stale_flag'
            indexes = ((('project', 'level', 'last_progress_on'), True),)
    db.create_tables([StaleFlag])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('stale_flag'))
    migrator.migrate(migrator.drop_table('quarter_snapshot'))
    migrator.migrate(migrator.drop_table('job_run'))
