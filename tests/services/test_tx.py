"""tracker.services.tx.lock_all: rows are locked in id order whatever order the caller's
query asks for, so two writers locking overlapping rows cannot deadlock. Real threads, each
with its own connection and transaction, on the servers that lock rows (PostgreSQL and
MySQL/MariaDB; SQLite's single write lock cannot deadlock)."""
import time

import pytest
from peewee import fn

from tests.races import run_together
from tracker.db import backend_name
from tracker.models import TaskForce
from tracker.services import tx

STEP = 0.1   # seconds the lock statement spends on each row (see _slow)
HOLD = 0.2   # seconds each transaction keeps its locks before it commits

servers = pytest.mark.parametrize("database_url", ["postgresql", "mysql"], indirect=True)


def _slow(query):
    """``query`` made to spend STEP on each row it returns. The server locks each row as it
    is produced, so the two lock statements below run side by side row by row: in opposite
    orders they would meet in the middle and deadlock every time (seen when lock_all keeps
    the caller's order), rather than only when the timing happens to overlap."""
    pause = fn.pg_sleep(STEP) if backend_name() == "postgresql" else fn.SLEEP(STEP)
    return query.select_extend(pause.alias("pause"))


@servers
def test_lock_all_in_opposite_orders_does_not_deadlock(app):
    with app.app_context():
        teams = [TaskForce.create(code=f"LK{n}", name=f"加锁专班{n}") for n in range(4)]
    ids = [t.id for t in teams]
    # A: rows 1-3 by an id list, ascending; B: rows 2-4 by a range, descending
    first = _slow(TaskForce.select().where(TaskForce.id.in_(ids[:3]))
                  .order_by(TaskForce.id))
    second = _slow(TaskForce.select().where(TaskForce.id >= ids[1])
                   .order_by(TaskForce.id.desc()))

    def locker(query):
        def call():
            with tx.write():
                rows = tx.lock_all(query)
                time.sleep(HOLD)
            return [r.id for r in rows]
        return call

    started = time.monotonic()
    outcomes = run_together(app, locker(first), locker(second))
    assert [exc for _, exc in outcomes] == [None, None]     # both committed, no deadlock
    # each got its rows in id order, not in the order its query asked for
    assert [got for got, _ in outcomes] == [ids[:3], ids[1:]]
    # the locks really overlapped: one writer waited for the other's commit
    assert time.monotonic() - started >= 2 * HOLD
