"""Pooled connections (tracker/db.py): a request hands its connection back to the pool at
teardown and the next request takes the same one again, rolled back if it was left inside a
transaction (every backend); on SQLite, threads hold distinct connections and writers still
queue on BEGIN IMMEDIATE, binding another database closes the old pool's connections and a
forked child never uses the parent's (those tests: their own file, a bare ``note`` table)."""
import os
import sqlite3
import threading

import pytest
from playhouse.pool import PooledSqliteDatabase

from tracker import create_app
from tracker.db import backend_name, database, make_database
from tracker.models import County


class Seen:
    """The sqlite3 connection each test-only request used, in order."""

    def __init__(self):
        self.connections = []

    def take(self):
        conn = database.connection()
        self.connections.append(conn)
        return conn


def _app(tmp_path, name="pool.db"):
    """An app on its own SQLite file with three public test-only views."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / name}",
                      "SECRET_KEY": "test-secret", "REQUEST_LOG": False},
                     instance_path=str(tmp_path / "instance"))
    seen = Seen()

    def count():
        rows = seen.take().execute("SELECT COUNT(*) FROM note").fetchone()[0]
        return {"rows": rows, "in_transaction": seen.connections[-1].in_transaction}

    def pragmas():
        conn = seen.take()
        return {name: conn.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}

    def write_then_fail():
        seen.take()
        database.execute_sql("BEGIN IMMEDIATE")
        database.execute_sql("INSERT INTO note (body) VALUES ('never committed')")
        raise RuntimeError("the request fails after its write")

    for view in (count, pragmas, write_then_fail):
        view.public = True
        app.add_url_rule(f"/_test/{view.__name__}", view.__name__, view)
    with app.app_context():
        database.execute_sql("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, body TEXT)")
    return app, seen


def _idle():
    return [conn for _, _, conn in database.obj._connections]


def _is_open(conn):
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
        return False
    return True


def test_sqlite_is_pooled_and_still_named_sqlite(tmp_path):
    db = make_database(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(db, PooledSqliteDatabase)
    assert backend_name(db) == "sqlite"
    assert db._lock_type == "IMMEDIATE" and db._timeout == 15


def test_every_backend_reuses_a_connection_rolled_back(app):
    """PostgreSQL and MySQL too: a request that fails inside a transaction it opened hands
    its connection back rolled back; the next request gets that connection, clean."""
    seen = Seen()

    def write_then_fail():
        seen.take()
        database.execute_sql("BEGIN")
        County.create(code="POOL", name="池区")
        raise RuntimeError("the request fails after its write")

    def count():
        seen.take()
        return {"rows": County.select().where(County.code == "POOL").count()}

    for view in (write_then_fail, count):
        view.public = True
        app.add_url_rule(f"/_test/{view.__name__}", view.__name__, view)
    client = app.test_client()
    assert client.get("/_test/count").get_json() == {"rows": 0}
    with pytest.raises(RuntimeError):
        client.get("/_test/write_then_fail")
    assert client.get("/_test/count").get_json() == {"rows": 0}
    assert seen.connections[1] is seen.connections[0] is seen.connections[2]
    assert backend_name() == app.config["DATABASE_URL"].split(":", 1)[0]  # still named


def test_two_requests_in_one_thread_reuse_one_connection(tmp_path):
    app, seen = _app(tmp_path)
    client = app.test_client()
    assert client.get("/_test/count").get_json() == {"rows": 0, "in_transaction": False}
    assert database.is_closed()  # handed back at teardown...
    assert _idle() == [seen.connections[0]] and _is_open(seen.connections[0])  # ...not closed
    assert client.get("/_test/pragmas").get_json() == {
        "journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000, "synchronous": 1}
    assert seen.connections[1] is seen.connections[0]
    with app.app_context():  # a CLI command or job: the same connection again
        assert seen.take() is seen.connections[0]


def test_a_request_failing_inside_a_transaction_leaves_nothing_behind(tmp_path):
    app, seen = _app(tmp_path)
    client = app.test_client()
    with pytest.raises(RuntimeError):
        client.get("/_test/write_then_fail")
    failed = seen.connections[0]
    assert _idle() == [failed] and not failed.in_transaction  # rolled back on check-in
    # The write lock is free again: another connection starts a write at once.
    other = sqlite3.connect(str(tmp_path / "pool.db"), timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
    # The next request gets the same connection, without the uncommitted row.
    assert client.get("/_test/count").get_json() == {"rows": 0, "in_transaction": False}
    assert seen.connections[1] is failed


def _in_threads(app, count, work):
    """Run ``work(index)`` in ``count`` threads, each in its own app context, all started
    together; returns what each returned and re-raises the first failure."""
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def run(index):
        try:
            with app.app_context():
                barrier.wait(30)
                results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    return results


def test_threads_hold_distinct_connections_and_reuse_them(tmp_path):
    app, seen = _app(tmp_path)
    held = threading.Barrier(4)

    def take(_):
        conn = seen.take()
        held.wait(30)  # all four checked out at once
        return conn

    first = _in_threads(app, 4, take)
    assert len({id(c) for c in first}) == 4
    assert sorted(map(id, _idle())) == sorted(map(id, first))
    second = _in_threads(app, 4, take)
    assert all(any(c is old for old in first) for c in second)
    assert len({id(c) for c in second}) == 4


def test_concurrent_writers_still_queue_on_begin_immediate(tmp_path):
    """Read-then-write transactions from 6 threads at once, 5 each, through the pool: with
    BEGIN IMMEDIATE they queue on the busy timeout ("database is locked" otherwise)."""
    app, _ = _app(tmp_path)

    def write(index):
        for n in range(5):
            with app.app_context():
                with database.atomic():
                    last = database.execute_sql("SELECT COUNT(*) FROM note").fetchone()[0]
                    database.execute_sql("INSERT INTO note (id, body) VALUES (?, ?)",
                                         (last + 1, f"{index}.{n}"))
        return True

    assert _in_threads(app, 6, write) == [True] * 6
    with app.app_context():
        ids = [r[0] for r in database.execute_sql("SELECT id FROM note ORDER BY id")]
    assert ids == list(range(1, 31))
    assert 1 <= len(_idle()) <= 6


def _open_files(path):
    fd_dir = "/proc/self/fd"
    names = []
    for fd in os.listdir(fd_dir):
        try:
            names.append(os.readlink(os.path.join(fd_dir, fd)))
        except OSError:
            continue
    return [n for n in names if n.startswith(str(path))]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_binding_another_database_closes_the_old_pool(tmp_path):
    first, seen = _app(tmp_path, "first.db")
    first.test_client().get("/_test/count")
    idle = seen.connections[0]
    with first.app_context():
        held = seen.take()  # checked out by this thread when the proxy is re-bound
        second, _ = _app(tmp_path, "second.db")
        assert not _is_open(held)
    assert held is idle and not _is_open(idle)
    assert _open_files(tmp_path / "first.db") == []
    second.test_client().get("/_test/count")
    assert _open_files(tmp_path / "second.db")  # the new pool keeps its own


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_uses_the_parents_connection(tmp_path):
    app, seen = _app(tmp_path)
    client = app.test_client()
    client.get("/_test/count")
    parent = seen.connections[0]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, whatever happens
        try:
            with app.app_context():
                conn = database.connection()
                ok = conn is not parent and conn.execute("SELECT COUNT(*) FROM note")
                os.write(write, b"own" if ok else b"inherited")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 64) == b"own"
    os.close(read)
    assert client.get("/_test/count").get_json()["rows"] == 0
    assert seen.connections[1] is parent and _is_open(parent)
