"""Request log: one line per request (method, path, status, ms, user id, request id) on stdout;
off with REQUEST_LOG = False; under TESTING the records go to pytest's log capture, not stdout.
The request id comes from a safe X-Request-ID or is new, and is echoed in the response."""
import logging
import re

import pytest

from tests.conftest import make_app
from tests.factories import make_user
from tracker.web import requests as web_requests

LINE = re.compile(r"^(GET|POST) (\S+) (\d{3}) (\d+\.\d)ms user=(\S+) req=([0-9A-Za-z._:-]+)$")


def _lines(caplog):
    return [LINE.match(r.getMessage()) for r in caplog.records if r.name == "tracker.requests"]


def test_one_line_per_request_with_user_id(sqlite_app, caplog):
    with sqlite_app.app_context():
        user_id = make_user("alice").id
    client = sqlite_app.test_client()
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        client.get("/login")
        client.post("/login", data={"username": "alice", "password": "password123"})
        client.get("/nope-nothing-here")
    lines = _lines(caplog)
    assert all(lines) and len(lines) == 3
    assert [m.group(1, 2, 3, 5) for m in lines] == [
        ("GET", "/login", "200", "-"), ("POST", "/login", "302", str(user_id)),
        ("GET", "/nope-nothing-here", "404", str(user_id))]


def test_api_token_requests_log_the_token_user(sqlite_app, caplog):
    with sqlite_app.app_context():
        user_id = make_user("boss", role="bureau").id
    from tracker.services.accounts import tokens
    with sqlite_app.app_context():
        _, token = tokens.create("boss")
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        sqlite_app.test_client().get("/api/v1/progress?year=%002026",
                                     headers={"Authorization": f"Bearer {token}"})
    assert [m.group(3) for m in _lines(caplog)] == ["400"]  # NUL refused before the token
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        sqlite_app.test_client().get("/api/v1/progress?year=2026&as_of=2026-01-31",
                                     headers={"Authorization": f"Bearer {token}"})
    assert [(m.group(3), m.group(5)) for m in _lines(caplog)] == [("200", str(user_id))]


def test_request_log_can_be_switched_off(sqlite_app, caplog):
    sqlite_app.config["REQUEST_LOG"] = False
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        sqlite_app.test_client().get("/login")
    assert _lines(caplog) == []


@pytest.fixture
def restore_request_logger():
    log = logging.getLogger("tracker.requests")
    saved = list(log.handlers), log.propagate
    yield
    log.handlers[:] = saved[0]
    log.propagate = saved[1]


def test_outside_tests_one_line_goes_to_stdout(sqlite_url, tmp_path, capsys,
                                               restore_request_logger):
    app = make_app(sqlite_url, tmp_path / "instance", TESTING=False)
    make_app(sqlite_url, tmp_path / "instance2", TESTING=False)  # a second app: no 2nd handler
    handlers = [h for h in logging.getLogger("tracker.requests").handlers
                if isinstance(h, web_requests.StdoutHandler)]
    assert len(handlers) == 1
    capsys.readouterr()
    app.test_client().get("/login")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and re.search(r" GET /login 200 \d+\.\dms user=- req=[0-9a-f]{32}$", out[0])


def test_testing_apps_print_nothing(sqlite_app, capsys):
    sqlite_app.test_client().get("/login")
    assert capsys.readouterr().out == ""


def test_request_id_is_taken_when_safe_and_echoed(sqlite_app, caplog):
    client = sqlite_app.test_client()
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        given = client.get("/login", headers={"X-Request-ID": "abc-123_x.y:z"})
        fresh = [client.get("/login", headers={"X-Request-ID": bad})
                 for bad in ("", "a" * 65, "a b", "x\u00e9", "<script>", "a;b")]
        none = client.get("/login")
    assert given.headers["X-Request-ID"] == "abc-123_x.y:z"
    generated = [r.headers["X-Request-ID"] for r in fresh + [none]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in generated)
    assert len(set(generated)) == len(generated)
    assert [m.group(6) for m in _lines(caplog)] == ["abc-123_x.y:z"] + generated


def test_a_traceback_names_the_request_id(sqlite_app, caplog):
    def broken():
        raise RuntimeError("boom")
    broken.public = True
    sqlite_app.add_url_rule("/test-broken", "test_broken", broken)
    sqlite_app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO):
        response = sqlite_app.test_client().get("/test-broken", headers={"X-Request-ID": "r-500"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "r-500"
    errors = [r for r in caplog.records if r.name == "tracker" and r.exc_info]
    assert len(errors) == 1 and errors[0].getMessage().endswith("request_id=r-500")
    assert [m.group(3, 6) for m in _lines(caplog)] == [("500", "r-500")]


def test_audit_rows_of_a_request_come_from_the_client_address(sqlite_app):
    from tracker.models import AuditLog
    from tracker.services import audit, tx

    def write():
        with tx.write():
            audit.record(None, "test", 1, "touch")
        return "ok"
    write.public = True
    sqlite_app.add_url_rule("/test-write", "test_write", write)
    client = sqlite_app.test_client()
    assert client.get("/test-write", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    with sqlite_app.app_context():
        assert [r.origin for r in AuditLog.select()] == ["10.1.2.3"]
        audit.record(None, "test", 2, "after")  # outside the request: not the client's
        assert AuditLog.get(AuditLog.entity_id == 2).origin == ""
