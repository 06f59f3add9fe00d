"""API tokens for the JSON API (stored as SHA-256 hashes).

Frozen copy of the model as of this migration; created_at default is set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class ApiToken(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField(max_length=64, default='')
        token_hash = CharField(unique=True, max_length=64)
        hint = CharField(max_length=16)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'api_token'
    db.create_tables([ApiToken])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('api_token'))
