"""Issue 23's account writes on every backend: deactivation revokes API tokens in its own
transaction (for good), the user's and an admin's ending of sessions each write one audit
row, and the nightly pruning of login attempts and ended sessions (service, job, command)."""
import datetime
import json

import pytest

from tests.factories import make_user
from tests.races import run_together
from tracker import job_registry, jobs, scheduler
from tracker.domain.errors import NotFound
from tracker.models import ApiToken, AuditLog, LoginAttempt, UserSession, utcnow
from tracker.models.security import hash_key
from tracker.services.accounts import prune, sessions, throttle, tokens, users as accounts

DAY = datetime.timedelta(days=1)


def _audit(action):
    return [(r.user_id, r.entity_id, json.loads(r.before or "{}"), json.loads(r.after or "{}"))
            for r in AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)]


def test_deactivation_revokes_every_live_token_once_and_for_good(db):
    admin, li = make_user("root", role="admin"), make_user("li")
    first, second = tokens.create("li", "a")[1], tokens.create("li", "b")[1]
    tokens.revoke(ApiToken.get(ApiToken.name == "b").id)   # revoked before: stays as it was
    revoked_before = ApiToken.get(ApiToken.name == "b").revoked_at
    other = tokens.create("root", "c")[1]
    sessions.start(li)
    accounts.set_active(admin, li.id, False)
    assert [t.revoked_at is not None for t in ApiToken.select().order_by(ApiToken.id)] == [
        True, True, False]
    assert ApiToken.get(ApiToken.name == "b").revoked_at == revoked_before
    assert _audit("deactivate") == [(admin.id, li.id, {"active": True},
                                     {"active": False, "sessions_ended": 1, "api_revoked": 1})]
    accounts.set_active(admin, li.id, True)
    assert tokens.authenticate(first) is None and tokens.authenticate(second) is None
    assert tokens.authenticate(other).username == "root"
    assert _audit("activate") == [(admin.id, li.id, {"active": False}, {"active": True})]


def test_a_token_created_while_deactivating_is_revoked_or_refused(app, db):
    """A token issued at the same moment as the deactivation ends up unusable either way."""
    admin, li = make_user("root", role="admin"), make_user("li")
    outcomes = run_together(app, lambda: accounts.set_active(admin, li.id, False),
                            lambda: tokens.create("li", "race"))
    assert outcomes[0][1] is None
    made = outcomes[1][0]
    assert made is None or tokens.authenticate(made[1]) is None
    assert ApiToken.select().where(ApiToken.revoked_at.is_null()).count() == 0


def test_logout_and_ending_one_session_write_one_audit_row_each(db):
    li = make_user("li")
    bound = sessions.start(li, "10.0.0.1")
    other = sessions.start(make_user("wang"))
    assert sessions.end(bound, "logout") == 1
    assert sessions.end(bound, "logout") == 0        # already ended: no second row
    [(who, session_id, before, after)] = _audit("end")
    assert who == li.id and before == {"ended_at": None}
    assert after["reason"] == "logout" and after["user"] == li.id
    assert UserSession.get_by_id(session_id).key_hash == hash_key(bound.session_key)
    assert sessions.end_one(li.id, UserSession.get(UserSession.user == other.id).id) == 0
    assert len(_audit("end")) == 1                   # another user's session: nothing


def test_ending_every_session_is_one_audit_row(db):
    admin, li = make_user("root", role="admin"), make_user("li")
    for _ in range(3):
        sessions.start(li)
    assert sessions.end_everywhere(admin, li.id, "ended_by_admin") == 3
    assert sessions.end_everywhere(admin, li.id, "ended_by_admin") == 0
    assert _audit("end_sessions") == [
        (admin.id, li.id, {"live_sessions": 3}, {"live_sessions": 0, "reason": "ended_by_admin"}),
        (admin.id, li.id, {"live_sessions": 0}, {"live_sessions": 0, "reason": "ended_by_admin"})]
    with pytest.raises(NotFound):
        sessions.end_everywhere(admin, 2**31 - 1, "ended_by_admin")


def _aged(db, now):
    """Login attempts and sessions of several ages: ({name: attempt id}, {name: session id})."""
    li = make_user("li")
    rows, kept = {}, {}
    for name, age in (("attempt_old", 91), ("attempt_kept", 89), ("attempt_now", 0)):
        rows[name] = LoginAttempt.create(username="li", address="10.0.0.1", outcome="failure",
                                         at=now - age * DAY).id
    for name, created, ended in (("ended_old", 120, 91), ("ended_kept", 120, 89),
                                 ("live", 2, None), ("dead_old", 121, None),
                                 ("dead_kept", 100, None)):
        session = UserSession.create(key_hash=hash_key(name), user=li, created_at=now - created * DAY,
                                     last_seen_at=now - created * DAY,
                                     ended_at=now - ended * DAY if ended else None)
        kept[name] = session.id
    return rows, kept


def _left(model, rows):
    ids = {r.id for r in model.select(model.id)}
    return sorted(name for name, row_id in rows.items() if row_id in ids)


def test_prune_deletes_what_the_settings_say_and_nothing_live(db):
    now = utcnow()
    rows, kept = _aged(db, now)
    result = prune.prune(prune.retention_from({}), now=now)
    assert (result.attempts, result.sessions) == (1, 2)
    assert _left(LoginAttempt, rows) == ["attempt_kept", "attempt_now"]
    assert _left(UserSession, kept) == ["dead_kept", "ended_kept", "live"]
    [(who, _, before, after)] = _audit("prune")
    assert who is None and after["attempts"] == 1 and after["sessions_ended"] == 2
    assert "清理登录记录 1 条、已结束的会话 2 个" == result.summary()
    # shorter settings; never less than a day
    short = prune.retention_from({"LOGIN_ATTEMPT_KEEP_DAYS": 0, "ENDED_SESSION_KEEP_DAYS": 30})
    assert short.attempts == DAY
    assert prune.prune(short, now=now).attempts == 1
    assert _left(LoginAttempt, rows) == ["attempt_now"]


def test_the_nightly_job_and_the_command_prune(app, db):
    spec = job_registry.get_spec("account-prune")
    assert spec.func is jobs.account_prune and spec.period_key(datetime.date(2026, 7, 1)) == "2026-07-01"
    now = utcnow()
    rows, _ = _aged(db, now)
    app.config["LOGIN_ATTEMPT_KEEP_DAYS"] = 30
    run = scheduler.run_once(app, "account-prune", datetime.date.today())
    assert run.outcome == "ok" and "清理登录记录 2 条" in run.detail
    assert _left(LoginAttempt, rows) == ["attempt_now"]
    LoginAttempt.create(username="x", outcome="failure", at=now - 40 * DAY)
    result = app.test_cli_runner().invoke(args=["users", "prune-history"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 login attempts" in result.output
    assert LoginAttempt.select().count() == 1


def test_the_unlock_command_lifts_the_lock_with_an_audit_row(app, db):
    li = make_user("li")
    for _ in range(5):
        LoginAttempt.create(username="li", address="10.0.0.1", outcome="failure", at=utcnow())
    assert throttle.lock_state("li").locked
    result = app.test_cli_runner().invoke(args=["users", "unlock", "li"])
    assert result.exit_code == 0 and "unlocked user li" in result.output
    assert not throttle.lock_state("li").locked
    [row] = AuditLog.select().where(AuditLog.action == "unlock")
    assert (row.user_id, row.entity_id, row.origin) == (None, li.id, "cli")
    result = app.test_cli_runner().invoke(args=["users", "unlock", "nobody"])
    assert result.exit_code != 0 and "不存在" in result.output
