"""撤销本批导入 (issue "Spreadsheets in and out"): an import batch records when it was undone,
by whom and why, and how many of its new projects were removed then."""
from peewee import AutoField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class User(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = 'app_user'

    migrator.migrate(
        migrator.add_column('import_batch', 'undone_at', DateTimeField(null=True)),
        migrator.add_column('import_batch', 'undone_by_id',
                            ForeignKeyField(User, null=True, on_delete='SET NULL',
                                            field=User.id)),
        migrator.add_column('import_batch', 'undo_reason', TextField(default='')),
        migrator.add_column('import_batch', 'undone_projects', IntegerField(default=0)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('import_batch', 'undone_projects'),
        migrator.drop_column('import_batch', 'undo_reason'),
        migrator.drop_column('import_batch', 'undone_by_id'),
        migrator.drop_column('import_batch', 'undone_at'),
    )
