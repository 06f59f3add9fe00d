"""Accounts: the password policy and token expiry (pure rules, domain.accounts) and the
account services on every backend: edit, deactivate/reactivate, reset and change password,
each one locked transaction with one audit row (never a password or hash), and races."""
import datetime
import json

import pytest

from tracker.domain import accounts as rules
from tracker.domain.errors import NotFound, ValidationError
from tracker.models import AuditLog, Membership, User
from tracker.services.accounts import users as accounts, tokens
from tests.factories import DEFAULT_PASSWORD, make_task_force, make_user
from tests.races import run_together

NEW = "Lantern-River-42"


# --- pure rules ----------------------------------------------------------------------------

def test_common_passwords_are_the_top_1000_of_zxcvbn():
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    common = rules.common_passwords()
    assert len(common) == 1000
    assert common == {p.casefold() for p in FREQUENCY_LISTS["passwords"][:1000]}
    assert {"123456", "password", "1qaz2wsx3edc", "password123"} <= common
    assert FREQUENCY_LISTS["passwords"][1000] not in common


@pytest.mark.parametrize("password,username,message", [
    ("", "li", "至少 10"), (None, "li", "至少 10"), ("a" * 9, "li", "至少 10"),
    ("a" * 1025, "li", "1024"), ("abc\x00defghijk", "li", "NUL"),
    ("1234567890", "li", "常见"), ("QwertyUIOP", "li", "常见"), ("Password123", "li", "常见"),
    ("wangxiaoming", "wangxiaoming", "用户名"), ("x-WangXiaoMing-1", "wangxiaoming", "用户名"),
    ("x-ｗａｎｇ-2026-ok", "wang", "用户名"),   # full-width letters fold (NFKC)
])
def test_password_policy_refusals(password, username, message):
    assert message in rules.password_error(password, username)


@pytest.mark.parametrize("password,username", [
    ("Lantern-River-42", "wang"), ("correct-horse-9", ""),
    ("li-is-in-this-one", "li"),  # a one- or two-character name only as the whole password
])
def test_password_policy_accepts(password, username):
    assert rules.password_error(password, username) is None


@pytest.mark.parametrize("password", ["a" * 10, "12345678901"])
def test_length_and_the_list_alone_accept_what_the_estimator_refuses(password):
    assert rules.password_error(password, "li", min_score=0) is None
    assert "容易被猜中" in rules.password_error(password, "li")


def test_password_policy_takes_another_list():
    assert rules.password_error("Lantern-River-42", common={"lantern-river-42"})
    assert rules.password_error("1234567890", common=set(), min_score=0) is None


def test_token_expiry_rules():
    today = datetime.date(2026, 6, 30)
    assert rules.token_expiry_error(None, today) is None
    assert rules.token_expiry_error(today, today) is None
    assert "早于今天" in rules.token_expiry_error(datetime.date(2026, 6, 29), today)
    assert "三年" in rules.token_expiry_error(datetime.date(2030, 1, 1), today)
    assert "日期" in rules.token_expiry_error("2026-07-01", today)
    assert not rules.token_expired(None, today) and not rules.token_expired(today, today)
    assert rules.token_expired(datetime.date(2026, 6, 29), today)


# --- services, every backend ---------------------------------------------------------------

@pytest.fixture
def users(db):
    a, b = make_task_force("A"), make_task_force("B")
    return {"admin": make_user("admin", role="admin"), "li": make_user("li", task_forces=[a]),
            "teams": (a, b)}


def _audit(action):
    return [(json.loads(r.before or "{}"), json.loads(r.after or "{}"), r.user_id)
            for r in AuditLog.select().where((AuditLog.entity == "user")
                                             & (AuditLog.action == action))]


def test_edit_user_normalises_and_audits_only_what_changed(users):
    admin, li = users["admin"], users["li"]
    accounts.edit_user(admin, li.id, display_name=" 李\u200b四 ", email=" li@example.com ",
                       role="lead", task_force_codes=["B", "A", "B"])
    user = User.get_by_id(li.id)
    assert (user.display_name, user.email, user.role) == ("李四", "li@example.com", "lead")
    assert sorted(m.task_force.code for m in Membership.select()
                  .where(Membership.user == li.id)) == ["A", "B"]
    [(before, after, actor)] = _audit("edit")
    assert before == {"display_name": "li", "email": "li@example.test", "role": "member",
                      "task_forces": ["A"]}
    assert after == {"display_name": "李四", "email": "li@example.com", "role": "lead",
                     "task_forces": ["A", "B"]}
    assert actor == admin.id
    accounts.edit_user(admin, "li", task_force_codes=())  # by username (the CLI)
    assert Membership.select().where(Membership.user == li.id).count() == 0
    assert User.get_by_id(li.id).role == "lead"  # None: unchanged


@pytest.mark.parametrize("changes,field", [
    ({"email": "x@localhost"}, "email"), ({"display_name": "a\x00b"}, "display_name"),
    ({"role": "king"}, "role"), ({"task_force_codes": ["NOPE"]}, "task_forces"),
    ({"display_name": "李" * 65}, "display_name"),
])
def test_edit_user_refusals_write_nothing(users, changes, field):
    with pytest.raises(ValidationError) as exc:
        accounts.edit_user(users["admin"], users["li"].id, **changes)
    assert field in exc.value.errors
    assert not _audit("edit") and User.get_by_id(users["li"].id).role == "member"


def test_unknown_users_are_not_found(users):
    for ref in (987654, 0, -1, 2**40, "nobody", "a\x00b"):
        with pytest.raises(NotFound):
            accounts.set_active(None, ref, False)
    with pytest.raises(NotFound):
        accounts.reset_password(None, "nobody")


def test_last_admin_stays_and_self_deactivation_is_refused(users):
    admin = users["admin"]
    with pytest.raises(ValidationError, match="管理员"):
        accounts.edit_user(None, admin.id, role="bureau")
    with pytest.raises(ValidationError, match="管理员"):
        accounts.set_active(None, admin.id, False)
    other = make_user("boss", role="admin")
    with pytest.raises(ValidationError, match="自己"):
        accounts.set_active(admin, admin.id, False)
    with pytest.raises(ValidationError, match="自己"):
        accounts.edit_user(admin, admin.id, role="member")
    accounts.set_active(admin, other.id, False)
    assert not User.get_by_id(other.id).active
    assert _audit("deactivate") == [({"active": True}, {"active": False, "sessions_ended": 0,
                                                         "api_revoked": 0}, admin.id)]
    with pytest.raises(ValidationError, match="已停用"):
        accounts.set_active(admin, other.id, False)
    accounts.set_active(admin, other.id, True)
    assert User.get_by_id(other.id).active and len(_audit("activate")) == 1


def test_deactivation_refuses_login_and_api_tokens(users):
    _, token = tokens.create("li", "x")
    assert tokens.authenticate(token).username == "li"
    accounts.set_active(None, "li", False)
    assert accounts.authenticate("li", DEFAULT_PASSWORD) is None
    assert tokens.authenticate(token) is None


def test_reset_then_change_password(users):
    li = users["li"]
    user, temporary = accounts.reset_password(users["admin"], li.id)
    assert user.must_change_password and len(temporary) == 16
    assert accounts.authenticate("li", DEFAULT_PASSWORD) is None
    assert accounts.authenticate("li", temporary).must_change_password
    with pytest.raises(ValidationError) as exc:
        accounts.change_password(li.id, "wrong", NEW)
    assert set(exc.value.errors) == {"current_password"}
    with pytest.raises(ValidationError, match="相同"):
        accounts.change_password(li.id, temporary, temporary)
    with pytest.raises(ValidationError, match="常见"):
        accounts.change_password(li.id, temporary, "qwertyuiop")
    accounts.change_password(li.id, temporary, NEW)
    user = User.get_by_id(li.id)
    assert not user.must_change_password and user.check_password(NEW)
    rows = list(AuditLog.select().where(AuditLog.entity == "user").order_by(AuditLog.id))
    assert [r.action for r in rows] == ["reset_password", "change_password"]
    text = "".join(r.before + r.after for r in rows)
    assert temporary not in text and NEW not in text and user.password_hash not in text
    assert "hash" not in text


def test_create_account_with_a_temporary_password(users):
    user, temporary = accounts.create_account(users["admin"], username="wang", role="lead",
                                              task_force_codes=["B"])
    assert user.must_change_password and user.check_password(temporary)
    assert [m.task_force.code for m in user.memberships] == ["B"]
    with pytest.raises(ValidationError, match="用户名"):
        accounts.create_user(None, "my-wang2x-password", username="wang2x", display_name="")
    with pytest.raises(ValidationError, match="用户名"):
        accounts.create_user(None, "x-WANG2X-password", username="wang2x")


def test_token_expiry_on_create_and_authenticate(users, monkeypatch):
    from tracker import clock
    today = clock.today()
    with pytest.raises(ValidationError) as exc:
        tokens.create("li", "x", today - datetime.timedelta(days=1))
    assert set(exc.value.errors) == {"expires_at"}
    row, token = tokens.create("li", "x", today)
    assert row.expires_at == today and tokens.authenticate(token)
    monkeypatch.setattr(clock, "today", lambda tz=None: today + datetime.timedelta(days=1))
    assert tokens.authenticate(token) is None and tokens.expired(row)


def test_revoke_checks_the_owner(users):
    row, _ = tokens.create("li", "x")
    with pytest.raises(NotFound):
        tokens.revoke(row.id, owner_id=users["admin"].id)
    for bad in (0, 2**40, "1"):
        with pytest.raises(NotFound):
            tokens.revoke(bad)
    assert tokens.revoke(row.id, owner_id=users["li"].id).revoked_at is not None


# --- races -----------------------------------------------------------------------------------

def test_two_admins_deactivating_each_other_leave_one_admin(app, db):
    first, second = make_user("boss1", role="admin"), make_user("boss2", role="admin")
    outcomes = run_together(app, lambda: accounts.set_active(first, second.id, False),
                            lambda: accounts.set_active(second, first.id, False))
    errors = [exc for _, exc in outcomes if exc is not None]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), outcomes
    assert User.select().where((User.role == "admin") & User.active).count() == 1
    assert AuditLog.select().where(AuditLog.action == "deactivate").count() == 1


def test_two_password_changes_at_once_one_wins(app, db):
    li = make_user("li")
    outcomes = run_together(app, lambda: accounts.change_password(li.id, DEFAULT_PASSWORD, NEW),
                            lambda: accounts.change_password(li.id, DEFAULT_PASSWORD,
                                                             NEW + "-b"))
    errors = [exc for _, exc in outcomes if exc is not None]
    assert len(errors) == 1 and "current_password" in errors[0].errors, outcomes
    assert AuditLog.select().where(AuditLog.action == "change_password").count() == 1


def test_a_request_never_waits_on_a_long_import_to_touch_its_session(sqlite_app):
    """Measured under load (bench/bench_import_load.py): an import commit holds SQLite's
    write lock for 30 s; a request that touched its session's last-seen time waited the 15 s
    busy timeout and failed with a 500. The touch is advisory: skipped while another writer
    holds the lock, done on the next request."""
    import sqlite3
    import time
    from tests.factories import make_user
    from tracker.db import database
    from tracker.models import UserSession
    from tracker.services.accounts import sessions
    with sqlite_app.app_context():
        user = make_user("touchy", role="member")
        bound = sessions.start(user)
        cookie = bound.get_id()
        row = UserSession.get()
        before = row.last_seen_at - datetime.timedelta(minutes=5)   # due for a touch
        UserSession.update(last_seen_at=before).execute()
        path = database.database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")                   # a long import holds the write lock
    try:
        with sqlite_app.app_context():
            start = time.monotonic()
            assert sessions.load(cookie).id == user.id  # still logged in
            assert time.monotonic() - start < 1
            assert UserSession.get().last_seen_at == before     # the touch was skipped
    finally:
        other.execute("ROLLBACK")
        other.close()
    with sqlite_app.app_context():
        sessions.load(cookie)
        assert UserSession.get().last_seen_at > before          # done once the lock is free
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 15000
