"""Corrections with a trail (docs/design.md, Corrections).

- 作废 (void): ``stage_event``, ``fund_receipt`` and ``capital_increase`` get
  ``voided_at``, ``voided_by_id`` and ``void_reason``. A voided row stays and stops
  counting.
- 更正 / 变更: ``amount_change`` keeps every change of a project's 计划投资额 or 签约额
  made in 编辑项目, with its kind, effective date (变更), old and new value, reason and
  who; a figure for a past date uses the value in force on that date.

Frozen copy of the new table as of this migration; created_at default is set in Python."""
from peewee import (
    CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, Model, TextField,
)

VOIDABLE = ('stage_event', 'fund_receipt', 'capital_increase')


def _money(**kw):
    return DecimalField(max_digits=16, decimal_places=2, auto_round=True, **kw)


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class Project(Model):
        class Meta:
            database = db
            table_name = 'project'

    ops = []
    for table in VOIDABLE:
        ops += [
            migrator.add_column(table, 'voided_at', DateTimeField(null=True)),
            migrator.add_column(table, 'voided_by_id', ForeignKeyField(
                User, null=True, on_delete='SET NULL', field=User.id)),
            migrator.add_column(table, 'void_reason', TextField(default='')),
        ]
    migrator.migrate(*ops)

    class AmountChange(Model):
        project = ForeignKeyField(Project, on_delete='CASCADE')
        field_name = CharField(max_length=32)
        kind = CharField(max_length=16)
        effective_on = DateField(null=True)
        recorded_on = DateField()
        old_value = _money(null=True)
        new_value = _money(null=True)
        reason = TextField(default='')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'amount_change'
            indexes = ((('project', 'field_name', 'effective_on'), False),)
    db.create_tables([AmountChange])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('amount_change'))
    ops = []
    for table in VOIDABLE:
        ops += [migrator.drop_column(table, name)
                for name in ('void_reason', 'voided_by_id', 'voided_at')]
    migrator.migrate(*ops)
