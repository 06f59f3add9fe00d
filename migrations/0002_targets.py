"""Targets: versioned task-force targets, county funds goals, checkpoint shares.

Frozen copy of the models as of this migration; timestamp defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class County(Model):
        class Meta:
            database = db
            table_name = 'county'

    class TaskForce(Model):
        class Meta:
            database = db
            table_name = 'task_force'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class CheckpointShare(Model):
        year = IntegerField()
        metric = CharField(max_length=32)
        q1 = DecimalField(max_digits=5, decimal_places=2)
        q2 = DecimalField(max_digits=5, decimal_places=2)
        q3 = DecimalField(max_digits=5, decimal_places=2)
        q4 = DecimalField(max_digits=5, decimal_places=2)
        updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'checkpoint_share'
            indexes = ((('year', 'metric'), True),)
    db.create_tables([CheckpointShare])

    class CountyTarget(Model):
        county = ForeignKeyField(County, on_delete='CASCADE')
        year = IntegerField()
        version = IntegerField()
        base = DecimalField(null=True, max_digits=16, decimal_places=2)
        growth_pct = DecimalField(max_digits=7, decimal_places=2, default=20)
        reason = TextField(default='')
        set_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        set_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'county_target'
            indexes = ((('county', 'year', 'version'), True),)
    db.create_tables([CountyTarget])

    class TaskForceTarget(Model):
        task_force = ForeignKeyField(TaskForce, on_delete='CASCADE')
        year = IntegerField()
        metric = CharField(max_length=32)
        version = IntegerField()
        value = DecimalField(null=True, max_digits=16, decimal_places=2)
        reason = TextField(default='')
        set_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        set_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'task_force_target'
            indexes = ((('task_force', 'year', 'metric', 'version'), True),)
    db.create_tables([TaskForceTarget])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('task_force_target'))
    migrator.migrate(migrator.drop_table('county_target'))
    migrator.migrate(migrator.drop_table('checkpoint_share'))
