"""Login throttling in the database (issue "Accounts, sessions and hardening"): 5 failures
for one name or 20 from one address within 15 minutes lock further tries for 15 minutes,
even with the right password; a success clears the name's count; every try is recorded;
unknown names cost the same hash time as known ones."""
import datetime
import statistics
import time

import pytest

from tests.factories import DEFAULT_PASSWORD, make_user
from tracker.models import LoginAttempt, utcnow
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


def _shift(app, minutes):
    with app.app_context():
        for attempt in LoginAttempt.select():
            attempt.at -= datetime.timedelta(minutes=minutes)
            attempt.save()


def test_lockout_after_5_failures_even_with_the_right_password(app, client):
    with app.app_context():
        make_user("alice")
    for _ in range(5):
        status, page = _try(client, "alice")
        assert status == 200 and "用户名或密码错误" in page
    status, page = _try(client, "alice", DEFAULT_PASSWORD)
    assert status == 200 and "该账号登录失败次数过多，已暂时锁定，请 15 分钟后再试" in page
    assert _outcomes(app) == ["failure"] * 5 + ["locked"]
    _shift(app, 14)
    assert "已暂时锁定，请 1 分钟后再试" in _try(client, "alice", DEFAULT_PASSWORD)[1]
    _shift(app, 2)  # 16 minutes after the fifth failure: open again
    assert _try(client, "alice", DEFAULT_PASSWORD)[0] == 302


def test_other_accounts_and_addresses_are_not_locked(app):
    with app.app_context():
        make_user("alice")
        make_user("bob")
    client = app.test_client()
    for _ in range(6):
        _try(client, "alice")
    assert _try(client, "bob", DEFAULT_PASSWORD)[0] == 302
    # the name is locked from any address
    assert "已暂时锁定" in _try(app.test_client(), "alice", DEFAULT_PASSWORD, "10.9.9.9")[1]


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


def test_20_failures_from_one_address_lock_that_address(app):
    with app.app_context():
        make_user("alice")
    client = app.test_client()
    for i in range(20):
        assert "用户名或密码错误" in _try(client, f"guess{i}", address="10.0.0.7")[1]
    status, page = _try(client, "alice", DEFAULT_PASSWORD, address="10.0.0.7")
    assert status == 200 and "本机地址登录失败次数过多" in page
    assert _try(client, "alice", DEFAULT_PASSWORD, address="10.0.0.8")[0] == 302
    assert _outcomes(app, address="10.0.0.7")[-1] == "locked"


def test_tries_in_progress_elsewhere_count(app, client):
    """Rows another worker has recorded but not yet judged ("pending") count as failures."""
    with app.app_context():
        make_user("alice")
        for _ in range(5):
            LoginAttempt.create(username="alice", address="10.1.1.1", outcome="pending",
                                at=utcnow())
    assert "已暂时锁定" in _try(client, "alice", DEFAULT_PASSWORD)[1]


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
