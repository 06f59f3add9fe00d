"""Job-run owner (issue "Jobs recover without waiting six hours"): which process holds a
running ``job_run`` row and when it last showed it was alive.

- ``host`` and ``pid``: the claiming process (a dead owner on the same host is seen by its pid);
- ``heartbeat_at`` (UTC): updated by the running job every SCHEDULER_HEARTBEAT seconds (a dead
  owner elsewhere is seen by a heartbeat older than SCHEDULER_HEARTBEAT_STALE).

Existing rows keep no owner; a running one without a heartbeat is judged by ``started_at``."""
from peewee import CharField, DateTimeField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('job_run', 'host', CharField(max_length=255, default='')),
        migrator.add_column('job_run', 'pid', IntegerField(null=True)),
        migrator.add_column('job_run', 'heartbeat_at', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('job_run', 'heartbeat_at'),
        migrator.drop_column('job_run', 'pid'),
        migrator.drop_column('job_run', 'host'),
    )
