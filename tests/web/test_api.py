"""GET /api/v1/progress: auth (token, bad token, session), errors, hand-computed numbers."""
import datetime
import re

import pytest

from tracker.domain import metrics as M

from . import progress_ledger as L

URL = "/api/v1/progress?year=2026&as_of=2026-06-30"


@pytest.fixture
def token(built, runner):
    result = runner.invoke(args=["api-token", "create", "boss", "--name", "test"])
    assert result.exit_code == 0, result.output
    return re.search(r"(trk_\S+)", result.output).group(1)


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


def test_token_gives_hand_computed_numbers(client, token):
    response = client.get(URL, headers=bearer(token))
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["year"] == 2026 and data["as_of"] == "2026-06-30"
    assert data["time_progress"] == "50.00"
    assert set(data["task_forces"]) == {"CHEM", "EQUIP"}
    for (code, key), exp in L.EXPECTED.items():
        m = data["task_forces"][code]["metrics"][key]
        assert m["target"] == exp["target"], (code, key)
        assert m["actual"] == exp["actual"], (code, key)
        assert m["completion"] == exp["completion"], (code, key)
        assert m["time_progress"] == "50.00"
        assert m["gap_points"] == exp["gap"], (code, key)
        assert m["status"] == exp["status"], (code, key)
        assert m["forecast"] == exp["forecast"], (code, key)
        assert m["kaimenhong"] is exp["kaimenhong"], (code, key)
        assert m["shuangguoban"] is exp["shuangguoban"], (code, key)
    for code, score in L.SCORES.items():
        assert data["task_forces"][code]["score"] == score
        assert data["task_forces"][code]["rank"] == L.RANKS[code]
    assert data["task_forces"]["EQUIP"]["metrics"]["signed_value"]["shuangguoban_early"] is True
    for key, (target, actual, completion) in L.TOTALS.items():
        assert (data["totals"][key]["target"], data["totals"][key]["actual"],
                data["totals"][key]["completion"]) == (target, actual, completion)
    for code, (actual, last_year, growth) in L.COUNTIES.items():
        county = data["counties"][code]
        assert (county["actual"], county["last_year_same_period"], county["growth"]) == \
            (actual, last_year, growth)
        assert county["growth_goal"] == "20.00" and county["status"] == "green"


def test_milestones_pending_before_due(client, token):
    data = client.get("/api/v1/progress?year=2026&as_of=2026-03-15",
                      headers=bearer(token)).get_json()
    m = data["task_forces"]["CHEM"]["metrics"][M.NEGOTIATIONS]
    assert m["kaimenhong"] == "pending" and m["shuangguoban"] == "pending"
    assert m["actual"] == 1
    # already met before its due date: true right away
    assert data["task_forces"]["CHEM"]["metrics"][M.PACKAGED_VALUE]["kaimenhong"] is True


def test_year_defaults_from_as_of(client, token):
    data = client.get("/api/v1/progress?as_of=2026-06-30", headers=bearer(token)).get_json()
    assert data["year"] == 2026
    assert data["task_forces"]["CHEM"]["metrics"][M.PACKAGED_VALUE]["actual"] == "550000.00"


@pytest.mark.parametrize("query,field", [("year=abc", "year"), ("year=1999", "year"),
                                         ("as_of=2026-02-30", "as_of"),
                                         ("as_of=yesterday", "as_of"),
                                         ("year=2026&as_of=2025-12-31", "as_of")])
def test_bad_parameters_give_400_json(client, token, query, field):
    response = client.get(f"/api/v1/progress?{query}", headers=bearer(token))
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["error"] == "bad_request" and field in body["fields"] and body["message"]


@pytest.mark.parametrize("headers", [{}, bearer("trk_not-a-real-token"), bearer(""),
                                     {"Authorization": "Basic Ym9zczpwYXNzd29yZDEyMw=="},
                                     bearer("something-else")])
def test_without_valid_auth_401_json_not_redirect(client, built, headers):
    response = client.get(URL, headers=headers)
    assert response.status_code == 401 and response.is_json
    assert response.get_json()["error"] == "unauthorized"
    assert "Location" not in response.headers
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_login_works(client, auth, built):
    auth.login("mem")
    response = client.get(URL)
    assert response.status_code == 200
    assert response.get_json()["task_forces"]["EQUIP"]["metrics"][M.SIGNED_VALUE]["actual"] \
        == "150000.00"


def test_revoked_token_and_inactive_user_are_refused(app, client, runner, token):
    assert client.get(URL, headers=bearer(token)).status_code == 200
    from tracker.models import ApiToken, User
    with app.app_context():
        row = ApiToken.lookup(token)
        assert row.last_used_at is not None
    result = runner.invoke(args=["api-token", "revoke", str(row.id)])
    assert result.exit_code == 0
    assert client.get(URL, headers=bearer(token)).status_code == 401
    second = re.search(r"(trk_\S+)", runner.invoke(
        args=["api-token", "create", "boss"]).output).group(1)
    assert client.get(URL, headers=bearer(second)).status_code == 200
    with app.app_context():
        User.update(active=False).where(User.username == "boss").execute()
    assert client.get(URL, headers=bearer(second)).status_code == 401


def test_api_agrees_with_dashboard(client, auth, token):
    data = client.get(URL, headers=bearer(token)).get_json()
    auth.login("boss")
    # the dashboard folds each task force's metrics into its own table (id detail-CODE),
    # loaded when opened
    cells = L.Cells(L.dashboard_page(client, "/dashboard/?year=2026&as_of=2026-06-30"))
    for code, team in data["task_forces"].items():
        for key, m in team["metrics"].items():
            if key == M.NEGOTIATIONS:
                assert cells[(code, key, "actual")] == str(m["actual"])
            else:
                assert cells[(code, key, "actual")] == L.money(m["actual"])
            assert cells.values.get((code, key, "completion"), "—") == (
                f"{m['completion']}%" if m["completion"] is not None else "—")


def test_errors_under_the_api_are_json(sqlite_app):
    from tests.factories import make_user
    with sqlite_app.app_context():
        make_user("reader", role="member")
    client = sqlite_app.test_client()
    client.post("/login", data={"username": "reader", "password": "password123"})
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.is_json
    assert missing.get_json()["error"] == "not_found"
    wrong_method = client.delete("/api/v1/progress")
    assert wrong_method.status_code == 405 and wrong_method.is_json
    assert wrong_method.get_json()["error"] == "method_not_allowed"
    page = client.get("/no-such-page")
    assert page.status_code == 404 and not page.is_json


def test_target_version_is_the_one_in_force_on_the_as_of_date(app, client, token, built):
    from tracker.models import TaskForceTarget
    from tracker.services.targets import annual
    with app.app_context():
        TaskForceTarget.update(set_at=datetime.datetime(2026, 1, 5, 2)).execute()
        annual.set_target(built["boss"], built["chem"], 2026, M.SIGNED_VALUE, "400000", "上调")
        TaskForceTarget.update(set_at=datetime.datetime(2026, 5, 12, 2)).where(
            TaskForceTarget.version == 2).execute()

    def signed(query):
        data = client.get(f"/api/v1/progress?{query}", headers=bearer(token)).get_json()
        m = data["task_forces"]["CHEM"]["metrics"][M.SIGNED_VALUE]
        return m["target"], m["target_version"], m["current_target_version"], m["completion"]

    assert signed("year=2026&as_of=2026-03-31") == ("200000.00", 1, 2, "30.00")
    assert signed("year=2026&as_of=2026-06-30") == ("400000.00", 2, 2, "20.00")
    assert signed("year=2026")[:3] == ("400000.00", 2, 2)                   # today
    data = client.get("/api/v1/progress?year=2026&as_of=2026-03-31", headers=bearer(token))
    equip = data.get_json()["task_forces"]["EQUIP"]["metrics"][M.SIGNED_VALUE]
    assert (equip["target_version"], equip["current_target_version"]) == (1, 1)


# --- GET /api/v1/snapshots ----------------------------------------------------------------

SNAPSHOTS = "/api/v1/snapshots?year=2026&quarter=2"


@pytest.fixture
def closed(app, built):
    """Q2 2026 closed (the job fired on 1 July): the frozen rows, keyed (code, metric)."""
    import datetime

    from tracker import jobs
    from tracker.models import QuarterSnapshot, TaskForce
    jobs.quarter_close(app, datetime.date(2026, 7, 1))
    with app.app_context():
        return {(s.task_force.code, s.metric): s for s in QuarterSnapshot.select(
            QuarterSnapshot, TaskForce).join(TaskForce)}


def _dec(value):
    return None if value is None else f"{value:.2f}"


def test_snapshots_equal_the_frozen_rows(client, token, closed):
    response = client.get(SNAPSHOTS, headers=bearer(token))
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert (data["year"], data["quarter"], data["key"], data["frozen"]) == (2026, 2, "2026Q2", True)
    assert set(data["task_forces"]) == {"CHEM", "EQUIP"}
    assert data["task_forces"]["CHEM"]["name"] == "精细化工专班"
    assert len(closed) == 8
    for (code, key), row in closed.items():
        m = data["task_forces"][code]["metrics"][key]
        amount = (lambda v: None if v is None else int(v)) if key == M.NEGOTIATIONS else _dec
        assert m["target"] == amount(row.target), (code, key)
        assert m["target_version"] == row.target_version
        assert m["checkpoint"] == _dec(row.checkpoint_target)
        assert m["checkpoint_share"] == _dec(row.checkpoint_share)
        assert m["catch_up_target"] == _dec(row.catch_up_target)
        assert m["quarter_actual"] == amount(row.quarter_actual)
        assert m["cumulative_actual"] == amount(row.cumulative_actual)
        assert m["completion"] == _dec(row.completion)
        assert m["status"] == row.status
        assert m["frozen_at"] == row.frozen_at.replace(microsecond=0).isoformat() + "Z"
        # frozen on 30 June: the same hand-computed figures as the progress API
        exp = L.EXPECTED[(code, key)]
        assert (m["cumulative_actual"], m["completion"], m["status"]) == (
            exp["actual"], exp["completion"], exp["status"]), (code, key)
    chem = data["task_forces"]["CHEM"]["metrics"]
    assert chem[M.SIGNED_VALUE]["checkpoint"] == "100000.00"  # 50 % of 200,000
    assert chem[M.SIGNED_VALUE]["catch_up_target"] == "60000.00"  # 120,000 over Q3, Q4
    assert chem[M.NEGOTIATIONS]["quarter_actual"] == 1  # B, in April


def test_snapshots_of_a_quarter_not_closed_are_empty(client, token, closed):
    data = client.get("/api/v1/snapshots?year=2026&quarter=3", headers=bearer(token)).get_json()
    assert (data["key"], data["frozen"], data["task_forces"]) == ("2026Q3", False, {})


@pytest.mark.parametrize("query,field", [("year=2026", "quarter"),
                                         ("year=2026&quarter=5", "quarter"),
                                         ("year=2026&quarter=Q2", "quarter"),
                                         ("year=2026&quarter=", "quarter"),
                                         ("year=abc&quarter=2", "year"),
                                         ("year=1999&quarter=1", "year")])
def test_snapshots_bad_parameters_give_400_json(client, token, query, field):
    response = client.get(f"/api/v1/snapshots?{query}", headers=bearer(token))
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["error"] == "bad_request" and field in body["fields"] and body["message"]


@pytest.mark.parametrize("headers", [{}, bearer("trk_not-a-real-token"),
                                     {"Authorization": "Basic Ym9zczpwYXNzd29yZDEyMw=="}])
def test_snapshots_without_valid_auth_401_json(client, closed, headers):
    response = client.get(SNAPSHOTS, headers=headers)
    assert response.status_code == 401 and response.is_json
    assert response.get_json()["error"] == "unauthorized"
    assert "Location" not in response.headers


def test_snapshots_with_a_session(client, auth, closed):
    auth.login("mem")
    data = client.get(SNAPSHOTS).get_json()
    assert data["task_forces"]["EQUIP"]["metrics"][M.SIGNED_VALUE]["cumulative_actual"] == \
        "150000.00"
