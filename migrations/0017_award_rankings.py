"""落地成效 award rankings (issue "落地成效 award ranking"): one frozen ranking per year
(``award_freeze``, UNIQUE year) and its rows per task force (``award_ranking``).

Frozen copy of the models as of this migration; timestamp defaults (utcnow) are set in
Python."""
from peewee import *


def up(migrator, db):
    class TaskForce(Model):
        class Meta:
            database = db
            table_name = 'task_force'

    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class AwardFreeze(Model):
        year = IntegerField(unique=True)
        as_of = DateField()
        weights = TextField(default='')
        maxima = TextField(default='')
        frozen_at = DateTimeField()
        frozen_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')

        class Meta:
            database = db
            table_name = 'award_freeze'

    class AwardRanking(Model):
        freeze = ForeignKeyField(AwardFreeze, on_delete='CASCADE')
        task_force = ForeignKeyField(TaskForce, on_delete='RESTRICT', backref='+')
        code = CharField(max_length=32)
        name = CharField(max_length=100)
        rank = IntegerField()
        score = DecimalField(max_digits=8, decimal_places=2)
        signed = IntegerField(default=0)
        started = IntegerField(default=0)
        started_in_year = IntegerField(default=0)
        producing = IntegerField(default=0)
        contract_total = DecimalField(max_digits=16, decimal_places=2, default=0)
        funds_received = DecimalField(max_digits=16, decimal_places=2, default=0)
        big_projects = IntegerField(default=0)
        top_investors = IntegerField(default=0)
        parts = TextField(default='')

        class Meta:
            database = db
            table_name = 'award_ranking'
            indexes = ((('freeze', 'task_force'), True),)

    db.create_tables([AwardFreeze, AwardRanking])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('award_ranking'))
    migrator.migrate(migrator.drop_table('award_freeze'))
