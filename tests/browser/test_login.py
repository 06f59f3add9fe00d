import pytest

from tests.factories import DEFAULT_PASSWORD, make_user

from .conftest import login

pytestmark = pytest.mark.browser


def test_login_with_wrong_then_right_password(live_app, live_server, page):
    with live_app.app_context():
        make_user("alice", role="bureau", display_name="张三")
    login(page, live_server, "alice", "wrong-password")
    assert "用户名或密码错误" in page.inner_text(".field.has-error")
    login(page, live_server, "alice", DEFAULT_PASSWORD)
    assert "张三" in page.inner_text("header .who")
    page.click("header .who button")
    assert page.url.endswith("/login")
