"""Maintained monthly figures (issue "Progress report under 100 ms"): ``monthly_figure``
holds, per task force x metric x month and per county x month (到位资金), the sum the
progress report used to aggregate from the whole ledger on every call; ``day`` 0 is the
month's total, days 1..31 the same values per day (for a report judged inside a month). Kept up to date in
each ledger write's transaction, rebuilt and checked by the nightly recompute and by
``flask figures check|rebuild`` (tracker/services/figures/monthly.py).

The table starts empty: run ``flask --app tracker figures rebuild`` (or wait for the
nightly recompute) once after upgrading a database that already has a ledger.

Frozen copy of the model as of this migration."""
from peewee import BigIntegerField, CharField, IntegerField, Model


def up(migrator, db):
    class MonthlyFigure(Model):
        scope = CharField(max_length=16)
        year = IntegerField()
        month = IntegerField()
        day = IntegerField(default=0)
        owner = IntegerField()
        metric = CharField(max_length=32)
        cents = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = 'monthly_figure'
            indexes = ((('scope', 'year', 'month', 'day', 'owner', 'metric'), True),)

    db.create_tables([MonthlyFigure])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('monthly_figure'))
