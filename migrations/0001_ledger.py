"""Ledger: counties, task forces, users, projects, stage events, funds, audit log.

Frozen copy of the models as of this migration; timestamp defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        username = CharField(unique=True, max_length=64)
        display_name = CharField(max_length=64, default='')
        email = CharField(max_length=254, default='')
        password_hash = CharField(max_length=256)
        role = CharField(max_length=16, default='member')
        active = BooleanField(default=True)
        wants_summary = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'app_user'
    db.create_tables([User])

    class AuditLog(Model):
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField(index=True)
        entity = CharField(max_length=32)
        entity_id = IntegerField(null=True)
        action = CharField(max_length=32)
        before = TextField(default='')
        after = TextField(default='')
        class Meta:
            database = db
            table_name = 'audit_log'
            indexes = ((('entity', 'entity_id'), False),)
    db.create_tables([AuditLog])

    class TaskForce(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(unique=True, max_length=100)
        industry = CharField(max_length=64, default='')
        lead_department = CharField(max_length=100, default='')
        leader = CharField(max_length=64, default='')
        kind = CharField(max_length=8, default='6')
        active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'task_force'
    db.create_tables([TaskForce])

    class County(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(unique=True, max_length=64)
        kind = CharField(max_length=16, default='county')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'county'
    db.create_tables([County])

    class Project(Model):
        name = CharField(max_length=200)
        task_force = ForeignKeyField(TaskForce, on_delete='RESTRICT')
        county = ForeignKeyField(County, null=True, on_delete='SET NULL')
        investor = CharField(max_length=200, default='')
        investor_region = CharField(max_length=32, default='')
        capital_type = CharField(max_length=16, default='domestic')
        industry = CharField(max_length=64, default='')
        tags = CharField(max_length=200, default='')
        planned_investment = DecimalField(max_digits=16, decimal_places=2, default=0)
        contract_value = DecimalField(null=True, max_digits=16, decimal_places=2)
        signing_grade = CharField(null=True, max_length=16)
        expected_sign_date = DateField(null=True)
        stage = CharField(index=True, max_length=16, default='reserve')
        drop_reason = TextField(default='')
        owner = ForeignKeyField(User, null=True, on_delete='SET NULL')
        contact = CharField(max_length=200, default='')
        next_step = TextField(default='')
        problems = TextField(default='')
        last_progress_on = DateField(index=True, null=True)
        packaged_on = DateField(index=True, null=True)
        negotiating_on = DateField(index=True, null=True)
        signed_on = DateField(index=True, null=True)
        started_on = DateField(index=True, null=True)
        producing_on = DateField(index=True, null=True)
        at_capacity_on = DateField(index=True, null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'project'
            indexes = ((('task_force', 'name', 'investor'), True),)
    db.create_tables([Project])

    class CapitalIncrease(Model):
        project = ForeignKeyField(Project, on_delete='CASCADE')
        occurred_on = DateField(index=True)
        amount = DecimalField(max_digits=16, decimal_places=2)
        note = TextField(default='')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'capital_increase'
    db.create_tables([CapitalIncrease])

    class FundReceipt(Model):
        project = ForeignKeyField(Project, on_delete='CASCADE')
        received_on = DateField(index=True)
        amount = DecimalField(max_digits=16, decimal_places=2)
        currency = CharField(max_length=3, default='CNY')
        original_amount = DecimalField(null=True, max_digits=16, decimal_places=2)
        exchange_rate = DecimalField(null=True, decimal_places=4)
        source_layer = CharField(max_length=16, default='省外')
        evidence = TextField(default='')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'fund_receipt'
    db.create_tables([FundReceipt])

    class Membership(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        task_force = ForeignKeyField(TaskForce, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'membership'
            indexes = ((('user', 'task_force'), True),)
    db.create_tables([Membership])

    class StageEvent(Model):
        project = ForeignKeyField(Project, on_delete='CASCADE')
        from_stage = CharField(null=True, max_length=16)
        stage = CharField(max_length=16)
        occurred_on = DateField()
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        note = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'stage_event'
            indexes = ((('project', 'occurred_on'), False),)
    db.create_tables([StageEvent])

    class TaskForceCounty(Model):
        task_force = ForeignKeyField(TaskForce, on_delete='CASCADE')
        county = ForeignKeyField(County, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'task_force_county'
            indexes = ((('task_force', 'county'), True),)
    db.create_tables([TaskForceCounty])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('task_force_county'))
    migrator.migrate(migrator.drop_table('stage_event'))
    migrator.migrate(migrator.drop_table('membership'))
    migrator.migrate(migrator.drop_table('fund_receipt'))
    migrator.migrate(migrator.drop_table('capital_increase'))
    migrator.migrate(migrator.drop_table('project'))
    migrator.migrate(migrator.drop_table('county'))
    migrator.migrate(migrator.drop_table('task_force'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('app_user'))
