"""Schema migrations: numbered scripts in migrations/, run by peewee's runner.

Each script is applied once, inside a transaction where the backend allows
(PostgreSQL and SQLite roll back DDL; MySQL commits DDL implicitly), and is
recorded in the ``schema_migration`` table.
"""
import os

from playhouse.migrations import Runner

from .db import database

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "migrations")


def runner():
    return Runner(database.obj, MIGRATIONS_DIR)


def upgrade():
    """Apply pending migrations; returns the names applied (empty when up to date)."""
    return runner().up()


def status():
    """[(name, applied datetime or None)] in order."""
    return [(m.name, m.applied) for m in runner().status()]


def pending():
    return [name for name, applied in status() if applied is None]


def schema_diff():
    """Differences between the migrated schema and the models (empty = in sync)."""
    from playhouse.schema_diff import diff_models

    from .models import all_models
    return diff_models(database.obj, all_models())
