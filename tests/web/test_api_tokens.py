"""API token CLI: create prints the token once, only its hash is stored; list; revoke."""
import re

from tracker.models import ApiToken, AuditLog
from tracker.models.api import hash_token

from ..factories import make_user


def _create(runner, username="api", *extra):
    result = runner.invoke(args=["api-token", "create", username, *extra])
    assert result.exit_code == 0, result.output
    return re.search(r"(trk_\S+)", result.output).group(1)


def test_create_prints_token_once_and_stores_hash(app, runner):
    with app.app_context():
        make_user("api", role="bureau")
    token = _create(runner, "api", "--name", "大屏")
    with app.app_context():
        row = ApiToken.get()
        assert row.token_hash == hash_token(token) and token not in row.token_hash
        assert row.name == "大屏" and token.startswith(row.hint) and row.active
        assert ApiToken.lookup(token).id == row.id
        assert ApiToken.lookup(token + "x") is None
        assert AuditLog.select().where(AuditLog.entity == "api_token").count() == 1
        assert token not in AuditLog.get().after
    second = _create(runner, "api")
    assert second != token


def test_create_unknown_or_inactive_user_fails(app, runner):
    with app.app_context():
        make_user("gone", role="bureau", active=False)
    result = runner.invoke(args=["api-token", "create", "nobody"])
    assert result.exit_code != 0 and "不存在" in result.output
    result = runner.invoke(args=["api-token", "create", "gone"])
    assert result.exit_code != 0 and "已停用" in result.output
    with app.app_context():
        assert ApiToken.select().count() == 0


def test_list_and_revoke(app, runner):
    with app.app_context():
        make_user("api", role="bureau")
        make_user("other", role="member")
    token = _create(runner, "api")
    _create(runner, "other")
    result = runner.invoke(args=["api-token", "list"])
    assert result.exit_code == 0 and "api" in result.output and "other" in result.output
    assert token not in result.output
    result = runner.invoke(args=["api-token", "list", "other"])
    assert "\tapi\t" not in result.output and "\tother\t" in result.output
    with app.app_context():
        token_id = ApiToken.lookup(token).id
    result = runner.invoke(args=["api-token", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert ApiToken.lookup(token) is None
    result = runner.invoke(args=["api-token", "revoke", str(token_id)])
    assert result.exit_code != 0 and "已吊销" in result.output
    result = runner.invoke(args=["api-token", "revoke", "9999"])
    assert result.exit_code != 0
    result = runner.invoke(args=["api-token", "list", "api"])
    assert "revoked" in result.output


def test_period_parsing_defaults():
    import datetime

    from tracker.web.period import parse_period
    from tracker import clock
    today = clock.today()
    p = parse_period({})
    assert (p.year, p.errors) == (today.year, {})
    p = parse_period({"year": "2020"})
    assert p.as_of == datetime.date(2020, 12, 31) and not p.errors
    p = parse_period({"year": "2100"})
    assert p.as_of == datetime.date(2100, 1, 1)
    p = parse_period({"as_of": "2024-02-29"})
    assert (p.year, p.as_of) == (2024, datetime.date(2024, 2, 29))
    p = parse_period({"year": "2024", "as_of": "2023-02-29"})
    assert set(p.errors) == {"as_of"} and p.year == 2024
    p = parse_period({"year": " 99999 ", "as_of": "20240101"})
    assert set(p.errors) == {"year", "as_of"}


def test_token_label_is_normalised_and_bounded(app, runner):
    with app.app_context():
        make_user("api", role="bureau")
    _create(runner, "api", "--name", " 大屏\u200b　１号 ")
    for bad, message in (("x" * 65, "64"), ("a\x00b", "NUL")):
        result = runner.invoke(args=["api-token", "create", "api", "--name", bad])
        assert result.exit_code == 2 and message in result.output and "--name" in result.output
    with app.app_context():
        # A label is stored as typed: the full-width "１" stays, the ideographic space is a space.
        assert [r.name for r in ApiToken.select()] == ["大屏 １号"]
        assert AuditLog.select().where(AuditLog.entity == "api_token").count() == 1


def test_token_authentication_records_last_use_and_refuses_revoked(app):
    from tracker.services.accounts import tokens
    with app.app_context():
        user = make_user("api", role="bureau")
        row, token = tokens.create("api", "x")
        assert ApiToken.get_by_id(row.id).last_used_at is None
        assert tokens.authenticate(token).id == user.id
        assert ApiToken.get_by_id(row.id).last_used_at is not None
        for bad in (token + "\x00", "trk_" + "x" * 300, "nope", "", None):
            assert tokens.authenticate(bad) is None
        tokens.revoke(row.id)
        assert tokens.authenticate(token) is None
        assert [a.action for a in AuditLog.select().order_by(AuditLog.id)] == ["create", "revoke"]
