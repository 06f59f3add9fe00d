"""Serving in production (README, Production; docs/deploy/): the health check, request ids
in the log, cache headers of static files, one log line per job run, and a real
``gunicorn "tracker:create_app()"`` on a migrated SQLite file that answers, logs and stops.
"""
import datetime
import hashlib
import json
import logging
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from tests.conftest import make_app
from tests.factories import make_user
from tests.live_server import REQUEST_TIMEOUT, STOP_TIMEOUT, Client, LiveServer
from tests.web.test_query_counts import counting
from tracker import scheduler
from tracker.services import health as health_service

STATIC = Path(__file__).resolve().parent.parent / "static"
LOG_LINE = re.compile(r"(?:^| )(GET|POST|HEAD) (\S+) (\d{3}) \d+\.\dms user=(\S+) req=(\S+)$")


def _request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "tracker.requests"]


# --- /healthz ---------------------------------------------------------------------------

def test_healthz_answers_without_login_with_one_statement(sqlite_app):
    client = sqlite_app.test_client()
    with counting() as statements:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert statements == ["('SELECT 1', None)"]
    assert client.head("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_fails(sqlite_app, monkeypatch, tmp_path, caplog):
    broken = SqliteDatabase(str(tmp_path / "no-such-folder" / "tracker.db"))
    monkeypatch.setattr(health_service, "database", broken)
    with caplog.at_level(logging.INFO):
        response = sqlite_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    assert "tracker.db" not in response.get_data(as_text=True)  # the reason is logged only
    assert any(r.name == "tracker.health" and "OperationalError" in r.getMessage()
               for r in caplog.records)
    assert [LOG_LINE.search(line).group(2, 3) for line in _request_lines(caplog)] == [
        ("/healthz", "503")]


def test_healthz_writes_nothing_and_stays_out_of_the_request_log(sqlite_app, caplog):
    from tracker.models import AuditLog, UserSession
    with sqlite_app.app_context():
        make_user("alice")
    client = sqlite_app.test_client()
    client.post("/login", data={"username": "alice", "password": "password123"})
    with sqlite_app.app_context():
        before = AuditLog.select().count(), UserSession.select().count()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"X-Request-ID": "probe-1"}).headers[
            "X-Request-ID"] == "probe-1"
    assert _request_lines(caplog) == []
    with sqlite_app.app_context():
        assert (AuditLog.select().count(), UserSession.select().count()) == before
    sqlite_app.config["REQUEST_LOG_HEALTHZ"] = True
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        client.get("/healthz")
    assert [LOG_LINE.search(line).group(2, 3) for line in _request_lines(caplog)] == [
        ("/healthz", "200")]


# --- behind nginx -----------------------------------------------------------------------

@pytest.mark.parametrize("proxies, seen", [(0, "127.0.0.1"), (1, "10.9.8.7")])
def test_the_client_address_comes_from_the_proxy_only_when_trusted(sqlite_url, tmp_path,
                                                                   proxies, seen):
    from flask import request
    app = make_app(sqlite_url, tmp_path / "instance", PROXY_COUNT=proxies)

    def where():
        return f"{request.remote_addr} {request.scheme}"
    where.public = True
    app.add_url_rule("/test-where", "test_where", where)
    response = app.test_client().get("/test-where", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                     headers={"X-Forwarded-For": "10.9.8.7",
                                              "X-Forwarded-Proto": "https"})
    assert response.get_data(as_text=True) == f"{seen} {'https' if proxies else 'http'}"


# --- static files -----------------------------------------------------------------------

def _version(name):
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def test_pages_link_static_files_by_content_hash(sqlite_app):
    body = sqlite_app.test_client().get("/login").get_data(as_text=True)
    for name in ("style.css", "favicon.svg"):
        assert f"/static/{name}?v={_version(name)}" in body


def test_a_fingerprinted_static_file_is_cached_for_a_year(sqlite_app):
    client = sqlite_app.test_client()
    response = client.get(f"/static/style.css?v={_version('style.css')}")
    assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    assert "no-cache" not in cache and "no-store" not in cache


def test_only_a_file_has_a_fingerprint(tmp_path):
    from tracker.web.static_files import fingerprint
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.css").write_bytes(b"body{}")
    assert fingerprint("a.css", tmp_path) == hashlib.sha256(b"body{}").hexdigest()[:12]
    assert fingerprint("sub", tmp_path) is None and fingerprint("nope.css", tmp_path) is None
    assert fingerprint("../a.css", tmp_path / "sub") is None    # outside the folder


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_other_static_requests_revalidate_by_etag(sqlite_app, query):
    client = sqlite_app.test_client()
    response = client.get(f"/static/favicon.svg{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]
    again = client.get(f"/static/favicon.svg{query}",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


# --- scheduler: one line per job run -----------------------------------------------------

JOB_LINE = re.compile(r"^job=(\S+) period=(\S+) outcome=(ok|failed|skipped) ms=\d+\.\d( detail=.*)?$")


def test_each_job_run_logs_one_line(sqlite_app, caplog, monkeypatch):
    day = datetime.date(2026, 3, 2)
    with caplog.at_level(logging.INFO, logger="tracker.scheduler"):
        scheduler.run_once(sqlite_app, "staleness-scan", day)
        scheduler.run_once(sqlite_app, "staleness-scan", day)
    lines = [JOB_LINE.match(r.getMessage()) for r in caplog.records
             if r.name == "tracker.scheduler"]
    assert all(lines) and [m.group(1, 2, 3) for m in lines] == [
        ("staleness-scan", "2026-03-02", "ok"), ("staleness-scan", "2026-03-02", "skipped")]
    caplog.clear()
    spec = scheduler.get_spec("nightly-recompute")

    def fail(app, as_of):
        raise RuntimeError("boom")
    monkeypatch.setattr(spec.__class__, "resolve", lambda self: fail)
    with caplog.at_level(logging.INFO, logger="tracker.scheduler"):
        scheduler.run_once(sqlite_app, spec, day)
    records = [r for r in caplog.records if r.name == "tracker.scheduler"]
    assert records[0].exc_info  # the traceback (stderr), then the one line
    summary = JOB_LINE.match(records[-1].getMessage())
    assert summary.group(3) == "failed" and "RuntimeError: boom" in summary.group(4)
    assert len(records) == 2


# --- gunicorn ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn -w 2 serving a migrated SQLite file with one user (alice, member)."""
    work = tmp_path_factory.mktemp("serving")
    url = "sqlite:///" + str(work / "tracker.db")
    app = make_app(url, work / "app-instance")
    with app.app_context():
        user_id = make_user("alice").id
    server = LiveServer(url, work, workers=2)
    server.start()
    try:
        yield server, user_id
    finally:
        server.stop()


def _get(client, path, headers):
    request = urllib.request.Request(client.base_url + path, headers=headers)
    with client.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
        return response.status, dict(response.headers), response.read().decode("utf-8")


def _log_lines(server, request_id, deadline=5.0):
    """Request log lines (stdout) naming ``request_id``; waits a little for the write."""
    end = time.monotonic() + deadline
    while True:
        text = server.stdout_path.read_text(encoding="utf-8", errors="replace")
        found = [line for line in text.splitlines() if line.endswith(f" req={request_id}")]
        if found or time.monotonic() > end:
            return found
        time.sleep(0.05)


def test_gunicorn_serves_health_pages_and_logs_request_ids(served):
    server, user_id = served
    client = Client(server.url)
    status, headers, body = _get(client, "/healthz", {})
    assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    client.login("alice")
    status, headers, body = _get(client, "/projects/", {"X-Request-ID": "serving-test-1"})
    assert status == 200 and "项目台账" in body and "alice" in body
    assert headers["X-Request-ID"] == "serving-test-1"
    lines = _log_lines(server, "serving-test-1")
    assert len(lines) == 1, server.stdout_path.read_text()
    assert LOG_LINE.search(lines[0]).group(1, 2, 3, 4) == ("GET", "/projects/", "200",
                                                           str(user_id))
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{12})"', body).group(1)
    status, headers, _ = _get(client, css, {})
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert server.tracebacks() == []


def test_gunicorn_stops_cleanly_on_sigterm(served):
    server, _ = served
    proc = server.proc
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gunicorn still running {STOP_TIMEOUT} s after SIGTERM")
    assert code == 0, server.stderr_tail()
    assert time.monotonic() - started < STOP_TIMEOUT
    assert "Shutting down: Master" in server.stderr_text()
    assert server.tracebacks() == []
