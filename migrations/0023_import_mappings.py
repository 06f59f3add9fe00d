"""The import's column mapping remembered per user and task force (issue 18, "A column-mapping
step"): ``import_mapping`` holds the decisions for a sheet's headings.

Frozen copy of the model as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class ImportMapping(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        team = IntegerField()
        signature = CharField(max_length=64)
        decisions = TextField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'import_mapping'
            indexes = ((('user', 'team', 'signature'), True),)

    db.create_tables([ImportMapping])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('import_mapping'))
