"""Request hardening: NUL bytes in the login form and in URLs, request body size limit,
the 500 page (HTML, JSON under /api/) with its traceback logged."""
import logging

import pytest

from tests.factories import make_user
from tracker.web.requests import NUL_IN_URL


def test_nul_in_login_username_is_a_field_message(app, client):
    with app.app_context():
        make_user("alice")
    for username in ("ali\x00ce", "\x00", "alice\x00"):
        response = client.post("/login", data={"username": username, "password": "password123"})
        assert response.status_code == 200, username
        page = response.get_data(as_text=True)
        assert "用户名包含无效字符（NUL）" in page
        assert "系统错误" not in page
    # NUL in the password: the ordinary refusal, never a server error.
    response = client.post("/login", data={"username": "alice", "password": "pass\x00word"})
    assert response.status_code == 200 and "用户名或密码错误" in response.get_data(as_text=True)


def test_login_username_is_normalised(app, client):
    with app.app_context():
        make_user("alice")
    response = client.post("/login", data={"username": " ａｌｉｃｅ\u200b ",
                                           "password": "password123"})
    assert response.status_code == 302


def test_overlong_login_username_is_a_field_message(app, client):
    response = client.post("/login", data={"username": "x" * 65, "password": "password123"})
    assert response.status_code == 200
    assert "用户名不能超过 64 个字" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/login?next=%00", "/projects/?q=a%00b", "/projects/?a%00=1", "/?x=%00",
])
def test_nul_in_a_query_string_is_400(app, client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert NUL_IN_URL in response.get_data(as_text=True)


def test_nul_in_a_query_string_is_400_when_logged_in_and_json_under_api(app, client, auth):
    with app.app_context():
        make_user("boss", role="bureau")
    auth.login("boss")
    assert client.get("/dashboard/?year=2026%00").status_code == 400
    response = client.get("/api/v1/progress?year=%002026")
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"] == "bad_request"


def test_nul_in_a_login_post_with_nul_in_the_query_is_400(app, client):
    response = client.post("/login?next=/%00", data={"username": "a\x00", "password": "x"})
    assert response.status_code == 400


def test_max_content_length_defaults_to_2_mb(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


@pytest.mark.parametrize("fixture", ["sqlite_app", "csrf_app"])
def test_a_3_mb_post_is_413(request, fixture):
    app = request.getfixturevalue(fixture)
    client = app.test_client()
    response = client.post("/login", data={"username": "a", "password": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "提交内容过大" in page and "上限 2 MB" in page


def test_a_post_under_the_limit_is_handled(sqlite_app):
    response = sqlite_app.test_client().post(
        "/login", data={"username": "nobody", "password": "x" * (1024 * 1024)})
    assert response.status_code == 200


@pytest.fixture
def boom_app(sqlite_app):
    """The test app with two views that raise: one page, one under /api/."""
    def boom():
        raise RuntimeError("boom for the test")
    boom.public = True
    sqlite_app.add_url_rule("/test-boom", "test_boom", boom)
    sqlite_app.add_url_rule("/api/test-boom", "test_api_boom", boom)
    sqlite_app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production, not re-raised
    return sqlite_app


def test_500_is_html_for_pages_and_json_under_api_with_the_traceback_logged(boom_app, caplog):
    client = boom_app.test_client()
    with caplog.at_level(logging.ERROR, logger=boom_app.logger.name):
        page = client.get("/test-boom")
    assert page.status_code == 500 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "系统错误" in text and "boom for the test" not in text and "Traceback" not in text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "/test-boom" in errors[0].getMessage()
    assert errors[0].exc_info and errors[0].exc_info[0] is RuntimeError
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger=boom_app.logger.name):
        response = client.get("/api/test-boom")
    assert response.status_code == 500 and response.is_json
    assert response.get_json()["error"] == "server_error"
    assert "boom" not in response.get_data(as_text=True)
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
