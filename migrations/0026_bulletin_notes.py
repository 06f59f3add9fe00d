"""通报 notes (issue 20, "The 通报 in 公文 form"): ``bulletin_note``, the 下步要求 and 按语 the
bureau writes into the 通报 of one (year, checkpoint), unique per pair, with its version and
who saved it last.

Frozen copy of the model as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class BulletinNote(Model):
        year = IntegerField()
        checkpoint = CharField(max_length=8)
        requirements = TextField()
        remarks = TextField()
        version = IntegerField()
        updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'bulletin_note'
            indexes = ((('year', 'checkpoint'), True),)

    db.create_tables([BulletinNote])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('bulletin_note'))
