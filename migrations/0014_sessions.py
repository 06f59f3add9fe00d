"""Login sessions and login attempts (issue "Accounts, sessions and hardening").

- ``user_session``: one row per login; the cookie carries "<user id>:<key>", the table keeps
  only the key's SHA-256. Ended by logout, "sign out everywhere", deactivation, a password
  change; refused when idle too long or older than the remember-me limit.
- ``login_attempt``: every try at the login form (success, failure, locked) with the
  address, for the login history and for throttling across workers.

Frozen copy of the models as of this migration; defaults are set in Python."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'app_user'

    class UserSession(Model):
        key_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        address = CharField(max_length=64, default='')
        user_agent = CharField(max_length=255, default='')
        remember = BooleanField(default=False)
        ended_at = DateTimeField(null=True)
        end_reason = CharField(max_length=32, default='')

        class Meta:
            database = db
            table_name = 'user_session'
            indexes = ((('user', 'ended_at'), False),)

    class LoginAttempt(Model):
        username = CharField(max_length=64)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        address = CharField(max_length=64, default='')
        user_agent = CharField(max_length=255, default='')
        outcome = CharField(max_length=16)
        at = DateTimeField()

        class Meta:
            database = db
            table_name = 'login_attempt'
            indexes = (
                (('username', 'at'), False),
                (('address', 'at'), False),
                (('user', 'at'), False),
            )

    db.create_tables([UserSession, LoginAttempt])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('login_attempt'))
    migrator.migrate(migrator.drop_table('user_session'))
