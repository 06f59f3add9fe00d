"""Accounts (issue "Accounts, sessions and hardening"):

- ``app_user.must_change_password``: set by an admin's password reset or a new account's
  temporary password; the user must choose a password before any other page;
- ``api_token.expires_at``: optional last day (Asia/Shanghai) a token is accepted.

Existing users keep their passwords (false) and existing tokens never expire (null)."""
from peewee import BooleanField, DateField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('app_user', 'must_change_password', BooleanField(default=False)),
        migrator.add_column('api_token', 'expires_at', DateField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('api_token', 'expires_at'),
        migrator.drop_column('app_user', 'must_change_password'),
    )
