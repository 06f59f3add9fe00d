"""The data version (issue 23, "Reports computed once per change"): ``data_version``, one row
(created by the first write that counts) whose counter moves with every write that can change
a figure of the progress report; the report cache is keyed on it.

Frozen copy of the model as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class DataVersion(Model):
        id = IntegerField(primary_key=True)
        counter = BigIntegerField()
        token = CharField(max_length=32)

        class Meta:
            database = db
            table_name = 'data_version'

    db.create_tables([DataVersion])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('data_version'))
