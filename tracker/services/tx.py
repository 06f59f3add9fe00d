"""The write path's first step: one transaction that takes its write lock first.

``with write():`` opens the outermost transaction (``BEGIN IMMEDIATE`` on SQLite, set on
the connection in ``tracker.db``) or a savepoint inside one. :func:`lock` then re-reads
the row being changed with ``SELECT ... FOR UPDATE`` on PostgreSQL and MySQL/MariaDB, so
a second writer waits for the first to commit and sees its result. On SQLite the
IMMEDIATE transaction already holds the database's only write lock.

Lock the row first, before any other read of the transaction: on MySQL's REPEATABLE
READ, the first plain read fixes the snapshot the rest of the transaction sees.
"""
import logging
import threading
from contextlib import contextmanager

from peewee import OperationalError

from ..db import SQLITE_PRAGMAS, backend_name, database
from ..domain.errors import NotFound

log = logging.getLogger(__name__)
_last = threading.local()   # .statements: {key: callable} of this thread's outermost write()


@contextmanager
def write():
    """One transaction (or a savepoint inside the caller's) for one write use-case; the
    outermost one runs the statements given to :func:`last` just before it commits."""
    if database.in_transaction():
        with database.atomic() as txn:
            yield txn
        return
    _last.statements = {}
    try:
        with database.atomic() as txn:
            yield txn
            for statement in list(_last.statements.values()):
                statement()
    finally:
        _last.statements = None


def last(key, statement):
    """Run ``statement()`` (once per ``key``) as the last statement of the outermost
    ``write()`` this thread is in, so a lock it takes on a row every writer shares (the data
    version) is held only until the commit and taken after every other lock; outside such a
    transaction, at once."""
    pending = getattr(_last, "statements", None)
    if pending is None:
        statement()
    else:
        pending.setdefault(key, statement)


@contextmanager
def snapshot():
    """One REPEATABLE READ transaction for a consistent read of many tables (a backup's
    dump on PostgreSQL/MariaDB); it writes nothing."""
    with database.atomic(isolation_level="REPEATABLE READ") as txn:
        yield txn


def advisory(query):
    """Run ``query`` (an UPDATE that only records something, like a session's last-seen
    time) without waiting for the write lock: on SQLite, while another transaction holds it
    (a long import), it is skipped instead of making the request wait up to the busy timeout
    and fail. Returns whether it ran. Elsewhere a plain row update, as before."""
    if backend_name() != "sqlite" or database.in_transaction():
        query.execute()
        return True
    database.execute_sql("PRAGMA busy_timeout = 0")
    try:
        query.execute()
        return True
    except OperationalError as exc:   # "database is locked": another writer holds it
        log.info("advisory write skipped: %s", exc)
        return False
    finally:
        database.execute_sql(f"PRAGMA busy_timeout = {SQLITE_PRAGMAS['busy_timeout']}")


def _for_update(query):
    return query if backend_name() == "sqlite" else query.for_update()


def lock(model, *where, missing=None):
    """The row of ``model`` matching ``where``, locked for update; raises NotFound
    (with ``missing`` as its message) when there is none."""
    row = _for_update(model.select().where(*where)).first()
    if row is None:
        raise NotFound(missing or f"{model.__name__} not found")
    return row


def lock_id(model, row_id, missing=None):
    return lock(model, model.id == int(row_id), missing=missing)


def lock_all(query):
    """Every row of ``query`` locked for update, in id order (a fixed order: no deadlock)."""
    model = query.model
    return list(_for_update(query.order_by(model.id)))
