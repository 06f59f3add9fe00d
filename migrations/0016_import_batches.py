"""Excel import batches (issue "Excel in and out"): ``import_batch`` (file name, user,
counts) and ``import_batch_project`` (the projects a batch created or updated, with the
row of the file).

Frozen copy of the models as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class Project(Model):
        class Meta:
            database = db
            table_name = 'project'

    class ImportBatch(Model):
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        file_name = CharField(max_length=255)
        created_at = DateTimeField(index=True)
        created = IntegerField()
        updated = IntegerField()
        skipped = IntegerField()
        unchanged = IntegerField()

        class Meta:
            database = db
            table_name = 'import_batch'

    class ImportBatchProject(Model):
        batch = ForeignKeyField(ImportBatch, on_delete='CASCADE')
        project = ForeignKeyField(Project, on_delete='CASCADE')
        action = CharField(max_length=16)
        row_number = IntegerField()

        class Meta:
            database = db
            table_name = 'import_batch_project'
            indexes = ((('batch', 'project'), True),)

    db.create_tables([ImportBatch, ImportBatchProject])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('import_batch_project'))
    migrator.migrate(migrator.drop_table('import_batch'))
