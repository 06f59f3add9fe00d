"""Fixtures: an app per database backend, clients, login helper and factories.

``app`` runs each test on SQLite and, when their URLs are set, on PostgreSQL
(TRACKER_TEST_POSTGRES_URL) and MySQL/MariaDB (TRACKER_TEST_MYSQL_URL). Each
backend gets a throw-away database created for this test session, so parallel
sessions never share tables. With CI=true a missing server is a failure.
``sqlite_app`` runs on SQLite only, for tests where the backend is irrelevant.
"""
import datetime
import os
import uuid

import pytest
from peewee import MySQLDatabase, PostgresqlDatabase
from playhouse.db_url import parse as parse_url

from tracker import create_app, migrate
from tracker.db import database, release_pool
from tracker.models import all_models

from .factories import DEFAULT_PASSWORD

SERVER_ENV = {"postgresql": "TRACKER_TEST_POSTGRES_URL", "mysql": "TRACKER_TEST_MYSQL_URL"}
_migrated = set()


def _unavailable(message):
    if os.environ.get("CI"):
        pytest.fail(message + " (CI=true: database servers are required)")
    pytest.skip(message)


def _server_db(kind):
    url = os.environ.get(SERVER_ENV[kind])
    if not url:
        _unavailable(f"{SERVER_ENV[kind]} is not set")
    params = parse_url(url)
    params.pop("database")
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    if kind == "postgresql":
        admin = PostgresqlDatabase(parse_url(url)["database"], **params)
        admin_sql = ('CREATE DATABASE "{}"', 'DROP DATABASE IF EXISTS "{}"')
    else:
        admin = MySQLDatabase(parse_url(url)["database"], charset="utf8mb4", **params)
        admin_sql = ("CREATE DATABASE `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                     "DROP DATABASE IF EXISTS `{}`")
    try:
        admin.connect()
        if kind == "postgresql":
            admin.connection().autocommit = True
        admin.execute_sql(admin_sql[0].format(name))
    except Exception as exc:  # server down, auth refused...
        _unavailable(f"cannot create a test database on {kind}: {exc}")
    finally:
        admin.close()
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}", lambda: _drop(admin, admin_sql[1].format(name), kind)


def _drop(admin, sql, kind):
    admin.connect(reuse_if_open=True)
    if kind == "postgresql":
        admin.connection().autocommit = True
    admin.execute_sql(sql)
    admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql", "mysql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "tracker.db")
        return
    url, drop = _server_db(request.param)
    yield url
    release_pool(database.obj)  # PostgreSQL refuses to drop a database with open connections
    drop()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return "sqlite:///" + str(tmp_path_factory.mktemp("sqlite_only") / "tracker.db")


def make_app(url, instance_path, **config):
    settings = {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": None,
        # scrypt costs ~0.2 s per hash or check; the suite creates and logs in thousands of users.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    settings.update(config)
    app = create_app(settings, instance_path=str(instance_path))
    with app.app_context():
        if url not in _migrated:
            migrate.upgrade()
            _migrated.add(url)
    return app


def clean_tables():
    with database.atomic():
        for model in reversed(all_models()):
            model.delete().execute()
    database.close()


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance")
    yield app
    with app.app_context():
        clean_tables()


@pytest.fixture
def sqlite_app(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path / "instance")
    yield app
    with app.app_context():
        clean_tables()


@pytest.fixture
def csrf_app(sqlite_url, tmp_path):
    """CSRF protection switched on, as in production."""
    app = make_app(sqlite_url, tmp_path / "instance", WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        clean_tables()


@pytest.fixture
def db(app):
    """An app context with a connection, for service-level tests."""
    with app.app_context():
        yield database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username, password=DEFAULT_PASSWORD):
        response = self._client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


DECEMBER_8 = datetime.date(2026, 12, 8)   # Q4: the year's first three quarters are closed


@pytest.fixture
def december_8(monkeypatch):
    """clock.today() is 8 December 2026 (a Tuesday of Q4; tests of closed quarters and of the
    follow-up log use it with ``pytestmark = pytest.mark.usefixtures("december_8")``)."""
    from tracker import clock
    monkeypatch.setattr(clock, "today", lambda tz=None: DECEMBER_8)
    return DECEMBER_8
