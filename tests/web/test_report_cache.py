"""Reports computed once per change (issue 23), through HTTP: a write committed through one
app instance is on the next request to another instance on the same database (two
create_app() in this process; two gunicorn servers, each its own process and cache), and the
dashboard, task-force page and API are served from the cache while nothing changes."""
import datetime
import json
import re

import pytest

from tests.conftest import clean_tables, make_app
from tests.factories import DEFAULT_PASSWORD, make_project, make_task_force, make_user
from tests.live_server import Client, LiveServer
from tracker import clock
from tracker.services import memo as cache


def _world(app):
    with app.app_context():
        team = make_task_force("TF1")
        user = make_user("leo", role="bureau")
        project = make_project(team, "新材料项目", user=user, on=clock.today())
        return team.code, project.id


def _funds_actual(client):
    response = client.get("/api/v1/progress")
    assert response.status_code == 200
    return response.get_json()["task_forces"]["TF1"]["metrics"]["funds_received"]["actual"]


def _page(client, path):
    """The page without its CSRF tokens (new per request)."""
    response = client.get(path)
    assert response.status_code == 200
    return re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))


def _funds_form(amount):
    day = clock.today()
    return {"funds-received_on": day.isoformat(), "funds-currency": "CNY",
            "funds-amount": amount, "funds-source_layer": "省外", "funds-closed_reason": "补录"}


@pytest.fixture
def two_apps(sqlite_url, tmp_path):
    first = make_app(sqlite_url, tmp_path / "one")
    second = make_app(sqlite_url, tmp_path / "two")
    cache.clear()
    yield first, second
    cache.clear()
    with first.app_context():
        clean_tables()


def _login(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "leo", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    return client


def test_a_write_through_one_app_is_on_the_next_request_to_another(two_apps):
    first, second = two_apps
    code, pid = _world(first)
    one, two = _login(first), _login(second)
    assert one.post(f"/projects/{pid}/funds", data=_funds_form("100")).status_code == 302
    shown = _funds_actual(two)
    assert _funds_actual(two) == shown and cache.stats.hits >= 1        # served from the cache
    _page(two, "/dashboard/")                 # shows (and so drops) the login's flash
    dashboard, team_page = _page(two, "/dashboard/"), _page(two, f"/taskforces/{code}")
    hits = cache.stats.hits
    assert _page(two, "/dashboard/") == dashboard
    assert _page(two, f"/taskforces/{code}") == team_page
    assert cache.stats.hits >= hits + 2

    response = one.post(f"/projects/{pid}/funds", data=_funds_form("250"))
    assert response.status_code == 302
    assert float(_funds_actual(two)) == float(shown) + 250                # the next request
    assert _page(two, "/dashboard/") != dashboard
    assert _page(two, f"/taskforces/{code}") != team_page


def test_a_write_in_one_gunicorn_is_on_the_next_request_to_another(tmp_path):
    """Two servers (one worker each: two processes, two caches) on one SQLite file."""
    url = "sqlite:///" + str(tmp_path / "shared.db")
    app = make_app(url, tmp_path / "setup")
    code, pid = _world(app)
    servers = [LiveServer(url, tmp_path / name, workers=1) for name in ("a", "b")]
    for server in servers:
        (server.workdir / "instance").mkdir(parents=True)
    try:
        for server in servers:
            server.start()
        writer, reader = Client(servers[0].url), Client(servers[1].url)
        writer.login("leo")
        reader.login("leo")
        form = _funds_form("100")

        def actual():
            response = reader.get("/api/v1/progress")
            assert response.status == 200, response.body[-500:]
            return float(json.loads(response.body)["task_forces"]["TF1"]["metrics"]
                         ["funds_received"]["actual"])

        assert writer.post(f"/projects/{pid}/funds", form).status == 302
        first = actual()
        assert actual() == first                      # warm in the reader's process
        page = reader.get(f"/taskforces/{code}").body
        for amount in ("30", "7"):
            assert writer.post(f"/projects/{pid}/funds", dict(form, **{
                "funds-amount": amount})).status == 302
            assert actual() == first + float(amount)
            first = actual()
        assert reader.get(f"/taskforces/{code}").body != page
    finally:
        for server in servers:
            server.stop()


def test_the_as_of_date_is_part_of_the_key(two_apps, monkeypatch):
    first, _second = two_apps
    _world(first)
    client = _login(first)
    today = clock.today()
    shown = client.get("/api/v1/progress").get_json()
    monkeypatch.setattr(clock, "today", lambda tz=None: today + datetime.timedelta(days=1))
    assert client.get("/api/v1/progress").get_json()["as_of"] != shown["as_of"]


# --- page bodies (web.fragments): kept per data version, slots per request ------------------

def _uncached(client, path):
    cache.enabled = False
    try:
        return _page(client, path)
    finally:
        cache.enabled = True


def _body_writes(app, code, pid):
    """Writes that change what the dashboard or the task-force page shows besides figures."""
    from tracker.services.accounts import users as accounts
    from tracker.services.activities import log as activity_log
    from tracker.services.staleness import flags as stale
    from tracker.services.supervision import items
    from tracker.models import TaskForce, User

    def team():
        return TaskForce.get(TaskForce.code == code)

    def leo():
        return User.get(User.username == "leo")
    later = clock.today() + datetime.timedelta(days=200)
    return {
        "scan": lambda: stale.scan(later),
        "rename": lambda: accounts.edit_user(None, leo().id, display_name="李处长"),
        "activity": lambda: activity_log.log(
            leo(), task_force=team().id, kind="visit", occurred_on=clock.today(),
            counterpart="中化集团", summary="赴京拜访中化集团。", projects=[pid]),
        "supervision": lambda: items.open_item(
            leo(), title="用地指标协调", problem="用地指标未落实。", task_force=team().id,
            deadline=clock.today() + datetime.timedelta(days=3), priority="key"),
        "funds": lambda: None,      # through HTTP below
    }


def test_page_bodies_follow_every_kind_of_write(two_apps):
    """Each write, made through the other app, is on the next page: the kept body (or its
    slot) equals a body rendered without the cache, and differs from the one before."""
    first, second = two_apps
    code, pid = _world(first)
    with first.app_context():
        make_user("root", role="admin")       # a user edit keeps one admin
    writer, reader = _login(first), _login(second)
    _page(reader, "/dashboard/")               # shows (and so drops) the login's flash
    paths = ("/dashboard/", f"/taskforces/{code}")
    for kind, write in _body_writes(first, code, pid).items():
        before = {path: _page(reader, path) for path in paths}
        assert {path: _page(reader, path) for path in paths} == before     # kept
        if kind == "funds":
            assert writer.post(f"/projects/{pid}/funds", data=_funds_form("40")).status_code == 302
        else:
            with first.app_context():
                write()
        after = {path: _page(reader, path) for path in paths}
        for path in paths:
            assert after[path] == _uncached(reader, path), (kind, path)
        assert after != before, kind


def test_the_body_is_kept_and_the_slots_are_not(two_apps):
    """Two members of different teams share the dashboard's kept body (a hit, no report
    computed), each with their own 待办督办 in it."""
    from tracker.services.supervision import items
    first, _second = two_apps
    code, _pid = _world(first)
    with first.app_context():
        from tracker.models import TaskForce, User
        own, other = TaskForce.get(TaskForce.code == code), make_task_force("TF2")
        make_user("ann", task_forces=[own])
        make_user("bob", task_forces=[other])
        for team, title in ((own, "签约协调"), (other, "用地协调")):
            items.open_item(User.get(User.username == "leo"), title=title, problem="请协调。",
                            task_force=team.id, deadline=clock.today(), priority="normal")
    ann, bob = first.test_client(), first.test_client()
    for client, name in ((ann, "ann"), (bob, "bob")):
        assert client.post("/login", data={"username": name, "password": DEFAULT_PASSWORD}).status_code == 302
        _page(client, "/dashboard/")          # shows (and so drops) the login's flash
    seen = _page(ann, "/dashboard/")
    hits, misses = cache.stats.hits, cache.stats.misses
    other_view = _page(bob, "/dashboard/")
    assert cache.stats.misses == misses and cache.stats.hits > hits    # nothing computed again
    assert "签约协调" in seen and "用地协调" not in seen
    assert "用地协调" in other_view and "签约协调" not in other_view
