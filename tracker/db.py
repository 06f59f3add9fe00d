"""The peewee database proxy, URL parsing and per-request connection handling.

Connections are pooled (``playhouse.pool``): ``database.close()`` at the end of every request
or CLI command hands the connection back to the pool instead of closing it, and the next
request of the worker (or of any thread) takes it again, so a connection is opened (SQLite:
pragmas set, schema parsed; PostgreSQL/MySQL: a server session, authentication) once per
connection instead of once per request. A thread holds its own connection while it is
checked out. A connection handed back inside a transaction is rolled back first (the pool's
check-in); one older than ``POOL["stale_timeout"]`` is closed instead of reused; a server
connection that died while idle is dropped at check-out (PostgreSQL: ``SELECT 1``, MySQL: a
ping).
"""
import os
from urllib.parse import urlparse

from peewee import DatabaseProxy, MySQLDatabase, PostgresqlDatabase
from playhouse.db_url import parse as parse_url
from playhouse.pool import (
    PooledDatabase, PooledMySQLDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase,
)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "normal",
}
# No cap on connections in use (one per thread that works at once, as without the pool);
# a connection lives at most 5 minutes, then the next check-in or check-out closes it.
POOL = {"max_connections": None, "stale_timeout": 300}


database = DatabaseProxy()
_bound = [None]  # the database the proxy was last bound to


@database.attach_callback
def _release_previous(db):
    """Binding another database closes the pooled connections of the old one (tests build
    many apps on different files: no old file stays open)."""
    old, _bound[0] = _bound[0], db
    if old is not db:
        release_pool(old)


_inherited = []  # connections a forked child must neither use nor close (see _after_fork)


class DatabaseURLError(ValueError):
    pass


def make_database(url):
    """Build an (unconnected) peewee database for ``url``.

    sqlite:///path, postgresql://user:pw@host:port/db, mysql://user:pw@host:port/db
    """
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise DatabaseURLError(f"SQLite URL needs a path: {url!r}")
        # Every transaction opens with BEGIN IMMEDIATE: it takes the write lock first, so
        # two writers queue on the busy timeout instead of failing when a read transaction
        # cannot be upgraded to a write one ("database is locked"). check_same_thread off:
        # a pooled connection may serve another thread later (never two at once).
        db = PooledSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                  check_same_thread=False, **POOL)
        # The pool takes ``timeout=`` as its own wait for a free connection (none here:
        # no cap), so SQLite's busy timeout for sqlite3.connect is set after it.
        db._timeout = 15
        return db
    if scheme in ("postgres", "postgresql"):
        params = {**POOL, **parse_url(url)}
        return PooledPostgresqlDatabase(params.pop("database"), **params)
    if scheme in ("mysql", "mariadb"):
        params = {**POOL, **parse_url(url.replace("mariadb://", "mysql://", 1))}
        params.setdefault("charset", "utf8mb4")
        return PooledMySQLDatabase(params.pop("database"), **params)
    raise DatabaseURLError(f"unsupported database URL scheme {scheme!r} "
                           "(use sqlite, postgresql or mysql)")


def backend_name(db=None):
    db = db or database.obj
    if isinstance(db, PostgresqlDatabase):
        return "postgresql"
    if isinstance(db, MySQLDatabase):
        return "mysql"
    return "sqlite"


def release_pool(db):
    """Close the idle connections of ``db``'s pool, this thread's one included (unless it
    is inside a transaction). Connections other threads hold are left to them."""
    if not isinstance(db, PooledDatabase):
        return
    if not db.is_closed() and not db.in_transaction():
        db.close()
    db.close_idle()


def _after_fork():
    """In a forked child: forget the parent's pooled connections without touching them (a
    connection must never cross a fork; closing a SQLite one here could disturb the
    parent's locks, closing a server one would end the parent's session).
    gunicorn without --preload builds the app in each worker, so there are none then."""
    db = database.obj
    if isinstance(db, PooledDatabase):
        _inherited.extend(conn for _, _, conn in db._connections)
        _inherited.extend(pc.connection for pc in db._in_use.values())
        if not db.is_closed():
            _inherited.append(db._state.conn)
        db.dispose()  # this thread's state, the idle heap and the in-use map, emptied


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def init_app(app):
    database.initialize(make_database(app.config["DATABASE_URL"]))

    # peewee connects lazily on the first query; we only make sure the connection is
    # handed back to the pool at the end of every request / CLI command.
    @app.teardown_appcontext
    def close_db(exc):
        if not database.is_closed():
            database.close()
