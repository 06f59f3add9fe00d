"""The peewee database proxy, URL parsing and per-request connection handling."""
from urllib.parse import urlparse

from peewee import DatabaseProxy, MySQLDatabase, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse as parse_url

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "normal",
}


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
        # cannot be upgraded to a write one ("database is locked").
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=15, lock_type="IMMEDIATE")
    if scheme in ("postgres", "postgresql"):
        params = parse_url(url)
        return PostgresqlDatabase(params.pop("database"), **params)
    if scheme in ("mysql", "mariadb"):
        params = parse_url(url.replace("mariadb://", "mysql://", 1))
        params.setdefault("charset", "utf8mb4")
        return MySQLDatabase(params.pop("database"), **params)
    raise DatabaseURLError(f"unsupported database URL scheme {scheme!r} "
                           "(use sqlite, postgresql or mysql)")


def backend_name(db=None):
    db = db or database.obj
    if isinstance(db, PostgresqlDatabase):
        return "postgresql"
    if isinstance(db, MySQLDatabase):
        return "mysql"
    return "sqlite"


def init_app(app):
    database.initialize(make_database(app.config["DATABASE_URL"]))

    # peewee connects lazily on the first query; we only make sure the
    # connection is returned at the end of every request / CLI command.
    @app.teardown_appcontext
    def close_db(exc):
        if not database.is_closed():
            database.close()
