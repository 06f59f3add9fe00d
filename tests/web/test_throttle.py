"""Login throttling in the database (issues "Accounts, sessions and hardening" and 23):
5 failures for one (user name, address) within 15 minutes lock that pair for 15 minutes,
even with the right password; failures for a name from anywhere only space its tries
(2 s, doubling, at most 60 s; not for an address the name logged in from); 100 failures
from one address lock the address; a success or an admin's unlock clears the name's count;
every try is recorded; unknown names cost the same hash time as known ones; a burst of
parallel guesses gets exactly 5 through."""
import dataclasses
import datetime
import statistics
import time

import pytest

from tests.factories import DEFAULT_PASSWORD, make_user
from tests.races import run_together
from tracker.models import AuditLog, LoginAttempt, utcnow
from tracker.services.accounts import throttle

M = datetime.timedelta(minutes=1)


def _try(client, username, password="wrong-password", address="10.0.0.1"):
    response = client.post("/login", data={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": address})
    return response.status_code, response.get_data(as_text=True)


def _outcomes(app, **where):
    with app.app_context():
        query = LoginAttempt.select().order_by(LoginAttempt.id)
        for name, value in where.items():
            query = query.where(getattr(LoginAttempt, name) == value)
        return [a.outcome for a in query]


def _shift(app, minutes=0, seconds=0):
    with app.app_context():
        for attempt in LoginAttempt.select():
            attempt.at -= datetime.timedelta(minutes=minutes, seconds=seconds)
            attempt.save()


def test_lockout_after_5_failures_from_one_address_even_with_the_right_password(app, client):
    with app.app_context():
        make_user("alice")
    for _ in range(5):
        status, page = _try(client, "alice")
        assert status == 200 and "用户名或密码错误" in page
    status, page = _try(client, "alice", DEFAULT_PASSWORD)
    assert status == 200 and "该账号在本机登录失败次数过多，已暂时锁定，请 15 分钟后再试" in page
    assert _outcomes(app) == ["failure"] * 5 + ["locked"]
    _shift(app, 14)
    assert "已暂时锁定，请 1 分钟后再试" in _try(client, "alice", DEFAULT_PASSWORD)[1]
    _shift(app, 2)  # 16 minutes after the fifth failure: open again
    assert _try(client, "alice", DEFAULT_PASSWORD)[0] == 302


def test_an_outsider_cannot_lock_the_real_user_out(app):
    """Guesses at "admin" from many outside addresses: the first 5 are judged, the rest
    are spaced ("delayed"); the admin at an address they logged in from gets in at once,
    at a new address after the spacing, never after a 15-minute lock. (A first spacing of
    30 s: 30 requests on a busy machine may take longer than the default 2 s.)"""
    app.config.update(LOGIN_NAME_DELAY_SECONDS=30, LOGIN_NAME_DELAY_MAX_SECONDS=300)
    with app.app_context():
        make_user("admin", role="admin")
    assert _try(app.test_client(), "admin", DEFAULT_PASSWORD, "10.8.0.1")[0] == 302
    for i in range(30):
        _try(app.test_client(), "admin", address=f"203.0.113.{i}")
    assert _outcomes(app)[1:] == ["failure"] * 5 + ["delayed"] * 25
    status, page = _try(app.test_client(), "admin", DEFAULT_PASSWORD, "10.8.0.2")
    assert status == 200 and "该账号近期登录失败较多" in page and "秒后再试" in page
    assert _try(app.test_client(), "admin", DEFAULT_PASSWORD, "10.8.0.1")[0] == 302
    for i in range(5):   # the success cleared the count: 5 more judged guesses...
        _try(app.test_client(), "admin", address=f"203.0.113.{i}")
    assert "秒后再试" in _try(app.test_client(), "admin", DEFAULT_PASSWORD, "10.8.0.2")[1]
    _shift(app, seconds=31)   # ...then the next try waits 30 seconds, not 15 minutes
    assert _try(app.test_client(), "admin", DEFAULT_PASSWORD, "10.8.0.2")[0] == 302


def test_the_spacing_grows_with_each_failure_up_to_60_seconds(app, monkeypatch):
    clock = [utcnow()]   # the throttle's clock stands still between requests
    monkeypatch.setattr(throttle, "utcnow", lambda: clock[0])
    seen = []
    for i in range(12):
        status, page = _try(app.test_client(), "alice", address=f"198.51.100.{i}")
        assert "用户名或密码错误" in page
        refused = _try(app.test_client(), "alice", address="198.51.100.250")[1]
        seen.append(int(refused.split("请 ")[1].split(" 秒")[0]) if "秒后再试" in refused else 0)
        clock[0] += datetime.timedelta(seconds=61)
    # a probe that is judged is a failure too: 2, 4 failures, then 5 (2 s), 6 (4 s), ...
    assert seen == [0, 0, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60]
    assert _outcomes(app, address="198.51.100.250") == ["failure"] * 2 + ["delayed"] * 10


def test_other_accounts_and_addresses_are_not_locked(app):
    app.config["LOGIN_NAME_DELAY_SECONDS"] = 30   # not over before the next request, however slow
    with app.app_context():
        make_user("alice")
        make_user("bob")
    client = app.test_client()
    for _ in range(6):
        _try(client, "alice")
    assert _try(client, "bob", DEFAULT_PASSWORD)[0] == 302
    # the pair is locked; elsewhere the name is only spaced
    assert "秒后再试" in _try(app.test_client(), "alice", DEFAULT_PASSWORD, "10.9.9.9")[1]
    _shift(app, seconds=31)
    assert _try(app.test_client(), "alice", DEFAULT_PASSWORD, "10.9.9.9")[0] == 302


def test_a_success_clears_the_account_count(app):
    with app.app_context():
        make_user("alice")
    for _ in range(3):
        client = app.test_client()
        for _ in range(4):
            _try(client, "alice")
        assert _try(client, "alice", DEFAULT_PASSWORD)[0] == 302


def test_failures_spread_over_more_than_15_minutes_do_not_lock(app, client):
    with app.app_context():
        make_user("alice")
    for _ in range(4):
        _try(client, "alice")
    _shift(app, 16)
    _try(client, "alice")
    assert _try(client, "alice", DEFAULT_PASSWORD)[0] == 302


def test_unknown_names_lock_like_known_ones(app, client):
    for _ in range(5):
        assert "用户名或密码错误" in _try(client, "nobody")[1]
    assert "已暂时锁定" in _try(client, "nobody")[1]


def test_an_office_behind_one_nat_address_is_not_locked_by_its_typos(app):
    """20 colleagues mistyping once each (the old limit) lock nobody; 100 failures within
    15 minutes from the address lock it."""
    with app.app_context():
        make_user("alice")
    client = app.test_client()
    for i in range(20):
        assert "用户名或密码错误" in _try(client, f"colleague{i}", address="10.0.0.7")[1]
    assert _try(client, "alice", DEFAULT_PASSWORD, address="10.0.0.7")[0] == 302
    with app.app_context():
        now = utcnow()
        LoginAttempt.insert_many([dict(username=f"guess{i}", address="10.0.0.7",
                                       outcome="failure", at=now) for i in range(80)]).execute()
    status, page = _try(app.test_client(), "alice", DEFAULT_PASSWORD, address="10.0.0.7")
    assert status == 200 and "本机地址登录失败次数过多" in page
    assert _try(app.test_client(), "alice", DEFAULT_PASSWORD, address="10.0.0.8")[0] == 302
    assert _outcomes(app, address="10.0.0.7")[-1] == "locked"


def test_tries_in_progress_elsewhere_count(app, client):
    """Rows another worker has recorded but not yet judged ("pending") count as failures."""
    app.config["LOGIN_NAME_DELAY_SECONDS"] = 30
    with app.app_context():
        make_user("alice")
        for _ in range(5):
            LoginAttempt.create(username="alice", address="10.1.1.1", outcome="pending",
                                at=utcnow())
    assert "已暂时锁定" in _try(client, "alice", DEFAULT_PASSWORD, address="10.1.1.1")[1]
    assert "秒后再试" in _try(client, "alice", DEFAULT_PASSWORD, address="10.0.0.1")[1]


@pytest.mark.parametrize("addresses", [1, 40])
def test_a_burst_of_parallel_guesses_gets_exactly_5_through(app, addresses):
    """40 guesses at one name at the same moment, from one address or from 40: exactly 5
    are judged (each try sees the ones recorded before it, pending or not)."""
    with app.app_context():
        make_user("alice")
    # a long first spacing: on a busy machine 40 tries may take longer than 2 seconds
    limits = dataclasses.replace(throttle.limits_from({}), delay=datetime.timedelta(minutes=5),
                                 delay_max=datetime.timedelta(minutes=5))
    calls = [lambda i=i: throttle.log_in("alice", f"guess-{i}", address=f"10.2.0.{i % addresses}",
                                         limits=limits) for i in range(40)]
    outcomes = run_together(app, *calls)
    assert all(exc is None and result.user is None for result, exc in outcomes)
    judged = _outcomes(app)
    assert judged.count("failure") == 5 and len(judged) == 40
    assert set(judged) == {"failure", "locked" if addresses == 1 else "delayed"}


def test_every_try_is_recorded_for_the_login_history(app, client):
    with app.app_context():
        alice = make_user("alice")
        make_user("bob")
    _try(client, "alice", address="10.0.0.2")
    assert _try(client, "alice", DEFAULT_PASSWORD, address="10.0.0.3")[0] == 302
    client.post("/logout")
    _try(client, "ghost")
    with app.app_context():
        mine = throttle.history(user_id=alice.id)
        assert [(a.outcome, a.address) for a in mine] == [
            ("success", "10.0.0.3"), ("failure", "10.0.0.2")]
        assert mine[0].outcome_label == "成功" and mine[0].at <= utcnow()
        everyone = throttle.history(limit=2)
        assert [(a.username, a.user_id) for a in everyone] == [("ghost", None),
                                                                ("alice", alice.id)]


def test_unlock_clears_the_name_with_one_audit_row(app, client):
    with app.app_context():
        admin = make_user("root", role="admin")
        alice = make_user("alice")
    for _ in range(6):
        _try(client, "alice")
    with app.app_context():
        state = throttle.lock_state("alice")
        assert state.locked and [a for a, _ in state.pairs] == ["10.0.0.1"]
        assert state.failures == 5 and state.delayed_until is not None
        throttle.unlock(admin, alice.id)
        assert not throttle.lock_state("alice").locked
        [row] = AuditLog.select().where(AuditLog.action == "unlock")
        assert (row.user_id, row.entity, row.entity_id) == (admin.id, "user", alice.id)
        assert '"10.0.0.1"' in row.before
    assert _outcomes(app)[-1] == "unlocked"
    assert _try(client, "alice", DEFAULT_PASSWORD)[0] == 302


def test_locked_until():
    t0 = datetime.datetime(2026, 1, 1, 9, 0)
    times = [t0 + i * M for i in range(5)]
    assert throttle.locked_until(times, 5, 15 * M, 15 * M) == t0 + 19 * M
    assert throttle.locked_until(times[:4], 5, 15 * M, 15 * M) is None
    spread = [t0 + i * 4 * M for i in range(5)]  # 16 minutes from first to fifth
    assert throttle.locked_until(spread, 5, 15 * M, 15 * M) is None


TIMED_METHOD = "pbkdf2:sha256:300000"  # ~0.07 s a check: well above the request overhead


@pytest.fixture
def costly_app(sqlite_url, tmp_path):
    from tests.conftest import clean_tables, make_app
    app = make_app(sqlite_url, tmp_path / "instance", PASSWORD_HASH_METHOD=TIMED_METHOD)
    yield app
    with app.app_context():
        clean_tables()


def _timed(client, name, address):
    started = time.perf_counter()
    status, page = _try(client, name, address=address)
    elapsed = time.perf_counter() - started
    assert status == 200 and "用户名或密码错误" in page
    return elapsed


def test_unknown_names_cost_the_same_hash_time_as_known_ones(costly_app, capsys):
    with costly_app.app_context():
        for i in range(10):
            make_user(f"known{i}")
        assert LoginAttempt.select().count() == 0
    client = costly_app.test_client()
    _try(client, "warm-up", address="10.3.0.1")  # the dummy hash is made once, here
    known, unknown = [], []
    for i in range(10):  # interleaved: a busy machine slows both alike
        known.append(_timed(client, f"known{i}", f"10.4.0.{i}"))
        unknown.append(_timed(client, f"unknown{i}", f"10.5.0.{i}"))
    known, unknown = statistics.median(known), statistics.median(unknown)
    with capsys.disabled():
        print(f"\nlogin timing ({TIMED_METHOD}, median of 10): known {known * 1000:.1f} ms, "
              f"unknown {unknown * 1000:.1f} ms")
    assert known > 0.02, "the hash must cost enough to be measured"
    assert 0.5 < unknown / known < 2
