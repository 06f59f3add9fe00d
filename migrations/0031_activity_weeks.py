"""招商活跃指数 (issue 21): ``activity_week``, the follow-up log's counts per task force, ISO
week, kind, leader-led and top-tier counterpart, kept in each write's transaction and
rebuilt nightly (filled here from the log as it stands).

Frozen copy of the model as of this migration; defaults are set in Python."""
import datetime

from peewee import *


def up(migrator, db):
    class TaskForce(Model):
        class Meta:
            database = db
            table_name = 'task_force'

    class ActivityWeek(Model):
        task_force = ForeignKeyField(TaskForce, on_delete='CASCADE')
        week_start = DateField()
        kind = CharField(max_length=16)
        leader_led = BooleanField()
        top_tier = BooleanField()
        count = IntegerField()

        class Meta:
            database = db
            table_name = 'activity_week'
            indexes = ((('task_force', 'week_start', 'kind', 'leader_led', 'top_tier'), True),
                       (('week_start',), False))

    db.create_tables([ActivityWeek])
    counts = {}
    rows = db.execute_sql('SELECT task_force_id, occurred_on, kind, leader_led, counterpart_tags '
                          'FROM activity WHERE voided_at IS NULL')
    for team, day, kind, leader, tags in rows:
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day[:10])
        monday = day - datetime.timedelta(days=day.weekday())
        top = any(t in ('央企', '世界500强', '中国500强', '民营500强') for t in (tags or '').split(','))
        key = (team, monday, kind, bool(leader), top)
        counts[key] = counts.get(key, 0) + 1
    for (team, monday, kind, leader, top), n in counts.items():
        ActivityWeek.create(task_force=team, week_start=monday, kind=kind, leader_led=leader, top_tier=top,
                            count=n)


def down(migrator, db):
    migrator.migrate(migrator.drop_table('activity_week'))
