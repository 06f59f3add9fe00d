"""CLI commands refuse bad arguments with a usage error (exit 2), no traceback, nothing written."""
import pytest

from tracker.models import ApiToken, User

from .factories import make_user


@pytest.mark.parametrize("args, message", [
    (["api-token", "revoke", "99999999999999999999999"], "TOKEN_ID"),
    (["create-user", "zed", "--name", "x" * 65, "--password-stdin"], "--name"),
    (["create-user", "zed", "--email", "a@b.c" + "x" * 250, "--password-stdin"],
     "邮箱地址过长"),
    (["summaries", "build", "--week", "9999-W52"], "2000 至 2100"),
    (["scheduler", "run", "staleness-scan", "--as-of", "0001-01-01"], "超出范围"),
    (["scheduler", "run", "quarter-close", "--as-of", "0001-01-08"], "超出范围"),
    (["recompute", "--as-of", "1999-12-31"], "超出范围"),
    (["summaries", "preview", "--user", "bob", "--week", "0001-W01"], "2000 至 2100"),
])
def test_bad_arguments_are_usage_errors(app, args, message):
    with app.app_context():
        make_user("bob")
        ApiToken.issue(User.get(User.username == "bob"))
    result = app.test_cli_runner().invoke(args=args, input="password123\n")
    assert result.exit_code == 2, (result.output, result.exception)
    assert message in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert User.select().count() == 1
        assert ApiToken.select().where(ApiToken.revoked_at.is_null(False)).count() == 0
