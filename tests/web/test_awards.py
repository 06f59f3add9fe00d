"""落地成效 pages and API: who sees what, the freeze (POST with CSRF, once), the frozen page
after the ledger changes, the print page, the export and GET /api/v1/awards.
The ledger and its hand-worked scores are tests/services/test_awards.py's."""
import datetime
import io
import re

import pytest
from openpyxl import load_workbook

from tests.factories import make_user
from tests.services.test_awards import AS_OF, build_ledger
from tracker.domain import pipeline
from tracker.models import ApiToken, AuditLog, AwardFreeze, AwardRanking
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects

P = backfill_ledger(ledger_projects)

# the confirmation page's fields: the year typed again; 2026 may still be running
FREEZE = {"year": "2026", "as_of": "2026-11-28", "confirm_year": "2026",
          "reason": "年度考核提前", "early": "y"}
PAGE = "/awards/?year=2026&as_of=2026-11-28"
API = "/api/v1/awards?year=2026&as_of=2026-11-28"


@pytest.fixture
def world(app):
    with app.app_context():
        teams, bureau = build_ledger()
        make_user("admin", role="admin")
        make_user("member", role="member", task_forces=[teams["C1"]])
        make_user("lead", role="lead", task_forces=[teams["A1"]])
        make_user("loner", role="member")
        return {code: team.id for code, team in teams.items()}


def _codes(html):
    return re.findall(r'<tr data-code="([^"]+)"', html)


def _score(html, code):
    row = html.split(f'<tr data-code="{code}">', 1)[1]
    return re.search(r'class="num score"><strong>([\d.]+)</strong>', row).group(1)


def test_bureau_sees_the_ranking_weights_and_formula(client, auth, world):
    auth.login("awardbureau")
    html = client.get(PAGE).get_data(as_text=True)
    assert _codes(html) == ["B1", "A1", "C1"]
    assert [_score(html, c) for c in ("B1", "A1", "C1")] == ["85.00", "57.04", "35.00"]
    assert 'id="award-weights"' in html and "min(比率, 100%)" in html
    assert "100 × 数量 ÷ 2（当年最大数量）" in html  # 500强/央企: the year's largest count
    assert "得分 = Σ（分项基准分 × 权重 ÷ 权重合计）" in html
    assert 'id="freeze-link"' in html and 'id="export-link"' in html
    assert 'id="freeze-form"' not in html      # no freeze on one click: a confirmation page
    assert 'href="/awards/"' in client.get("/dashboard/").get_data(as_text=True)  # NAV


def test_weights_from_config_change_the_page(app, client, auth, world):
    app.config["AWARD_WEIGHTS"] = {"big": 1, "top": 1}
    auth.login("awardbureau")
    html = client.get(PAGE).get_data(as_text=True)
    assert _codes(html) == ["A1", "C1", "B1"]
    assert _score(html, "A1") == "100.00"


@pytest.mark.parametrize("user, codes", [("member", ["C1"]), ("lead", ["A1"]), ("loner", [])])
def test_members_see_their_own_rows_only(client, auth, world, user, codes):
    auth.login(user)
    response = client.get(PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _codes(html) == codes
    if codes == ["C1"]:
        assert _score(html, "C1") == "35.00"  # scored against every team, like the bureau
    assert 'id="freeze-link"' not in html and 'id="export-link"' not in html
    for url in ("/awards/export.xlsx?year=2026", "/awards/print?year=2026"):
        assert client.get(url).status_code == 403
    assert client.post("/awards/freeze", data={"year": "2026", "as_of": "2026-11-28"}) \
        .status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    assert client.get(PAGE).status_code == 302
    assert client.get(API).status_code == 401


def test_freeze_once_then_frozen_page_keeps_the_numbers(app, client, auth, world):
    auth.login("awardbureau")
    response = client.post("/awards/freeze", data=FREEZE)
    assert response.status_code == 302 and "frozen=1" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已冻结 2026 年落地成效排名" in page and 'id="frozen-notice"' in page
    again = client.post("/awards/freeze", data=FREEZE,
                        follow_redirects=True).get_data(as_text=True)
    assert "请管理员先撤销冻结" in again
    with app.app_context():
        assert AwardFreeze.select().count() == 1 and AwardRanking.select().count() == 3
        # C1 lands a big producing project after the freeze: live C1 passes A1
        p = P.create_project(None, task_force=world["C1"], name="c9", planned_investment="1",
                             on=datetime.date(2026, 11, 1), stage=pipeline.PRODUCING,
                             contract_value="500000", tags="世界500强")
        P.record_funds(None, p.id, received_on=datetime.date(2026, 11, 2), amount="500000")
    live = client.get(PAGE).get_data(as_text=True)
    assert _codes(live) == ["B1", "C1", "A1"] and 'id="freeze-link"' not in live
    frozen = client.get("/awards/?year=2026&frozen=1").get_data(as_text=True)
    assert _codes(frozen) == ["B1", "A1", "C1"] and _score(frozen, "C1") == "35.00"
    printed = client.get("/awards/print?year=2026").get_data(as_text=True)
    assert _codes(printed) == ["B1", "A1", "C1"] and "冻结排名" in printed
    assert 'class="mainnav"' not in printed and 'class="award-print"' in printed
    data = client.get(API + "&frozen=1").get_json()
    assert data["source"] == "frozen" and data["task_forces"][2]["score"] == "35.00"
    assert data["frozen"]["frozen_by"] == "awardbureau" and data["frozen"]["frozen_at"][-1] == "Z"
    assert client.get(API).get_json()["task_forces"][1]["code"] == "C1"


def test_freeze_refuses_bad_input(app, client, auth, world):
    auth.login("awardbureau")
    for data in ({}, {"year": "2026"}, {"year": "abc", "as_of": "2026-11-28"},
                 dict(FREEZE, as_of="2025-12-31")):
        response = client.post("/awards/freeze", data=data)
        assert response.status_code == 302, data
    for as_of, message in (("2099-01-01", "晚于今天"),):
        page = client.post("/awards/freeze", data=dict(FREEZE, as_of=as_of))
        assert page.status_code == 200 and message in page.get_data(as_text=True), as_of
    with app.app_context():
        assert AwardFreeze.select().count() == 0


def test_freeze_needs_a_csrf_token(csrf_app):
    with csrf_app.app_context():
        build_ledger()
    client = csrf_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    client.post("/login", data={"username": "awardbureau", "password": "password123",
                                "csrf_token": token})
    refused = client.post("/awards/freeze", data=FREEZE)
    assert refused.status_code == 400
    with csrf_app.app_context():
        assert AwardFreeze.select().count() == 0
    page = client.get(PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/awards/freeze", data=dict(FREEZE, csrf_token=token))
    assert response.status_code == 302
    with csrf_app.app_context():
        assert AwardFreeze.select().count() == 1


def test_print_page_is_a4_without_navigation(client, auth, world):
    auth.login("awardbureau")
    response = client.get("/awards/print?year=2026&as_of=2026-11-28")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "实时计算（未冻结）" in html
    assert "<nav" not in html and _codes(html) == ["B1", "A1", "C1"]
    css = client.get("/static/style.css").get_data(as_text=True)
    assert "@media print" in css and "size: A4" in css


def test_export_is_a_safe_workbook(client, auth, world):
    auth.login("admin")
    response = client.get("/awards/export.xlsx?year=2026&as_of=2026-11-28")
    assert response.status_code == 200
    assert "awards-2026-2026-11-28.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["落地成效排名"]
    assert [sheet.cell(row=r, column=2).value for r in (3, 4, 5)] == ["B1", "A1", "C1"]
    assert [sheet.cell(row=r, column=4).value for r in (3, 4, 5)] == [85.0, 57.04, 35.0]


def test_api_with_a_token(app, client, world):
    with app.app_context():
        from tracker.models import User
        _, token = ApiToken.issue(User.get(User.username == "awardbureau"), "t")
        _, member_token = ApiToken.issue(User.get(User.username == "member"), "m")
    data = client.get(API, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert data["year"] == 2026 and data["as_of"] == AS_OF.isoformat()
    assert data["source"] == "live" and data["frozen"] is None
    assert data["weights"] == {"performance": "25", "start": "15", "production": "20",
                               "funds": "20", "big": "10", "top": "10"}
    assert data["maxima"] == {"big": 1, "top": 2}
    a1 = data["task_forces"][1]
    assert (a1["code"], a1["rank"], a1["score"]) == ("A1", 2, "57.04")
    assert a1["funds_received"] == "37000.00" and a1["contract_total"] == "200000.00"
    assert a1["parts"]["performance"] == {"label": "履约率", "value": "66.67",
                                          "basis": "66.67", "weight": "25",
                                          "contribution": "16.67"}
    assert a1["parts"]["top"]["value"] == 2
    mine = client.get(API, headers={"Authorization": f"Bearer {member_token}"}).get_json()
    assert [t["code"] for t in mine["task_forces"]] == ["C1"] and mine["task_forces_ranked"] == 3
    bad = client.get("/api/v1/awards?year=abc", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"
    assert client.get(API, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_freeze_confirmation_page_says_what_cannot_be_undone(app, client, auth, world,
                                                                 monkeypatch):
    from tracker import clock
    monkeypatch.setattr(clock, "today", lambda tz=None: datetime.date(2026, 12, 8))
    auth.login("awardbureau")
    page = client.get("/awards/freeze?year=2026&as_of=2026-11-28").get_data(as_text=True)
    assert "不再</strong>改变冻结排名" in page and "2026 年尚未结束" in page
    assert 'name="confirm_year"' in page and 'name="reason"' in page and 'name="early"' in page
    # the year typed wrong: refused next to the field, nothing frozen
    wrong = client.post("/awards/freeze", data=dict(FREEZE, confirm_year="2025"))
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 200 and 'id="confirm_year-error"' in body and "请输入 2026" in body
    # a running year without a reason and the second confirmation: both asked for
    bare = client.post("/awards/freeze", data=dict(FREEZE, reason="", early=""))
    body = bare.get_data(as_text=True)
    assert 'id="reason-error"' in body and 'id="early-error"' in body
    with app.app_context():
        assert AwardFreeze.select().count() == 0


def test_admin_unfreezes_with_a_reason_and_the_year_is_frozen_again(app, client, auth, world):
    with app.app_context():
        make_user("awardadmin", role="admin")
    auth.login("awardbureau")
    assert client.post("/awards/freeze", data=FREEZE).status_code == 302
    assert client.get("/awards/unfreeze?year=2026").status_code == 403   # the bureau may not
    auth.logout()
    auth.login("awardadmin")
    page = client.get("/awards/?year=2026").get_data(as_text=True)
    assert 'id="unfreeze-link"' in page
    form = client.get("/awards/unfreeze?year=2026").get_data(as_text=True)
    assert "审计日志" in form and 'name="confirm_year"' in form
    wrong = client.post("/awards/unfreeze", data={"year": "2026", "confirm_year": "26",
                                                  "reason": "x"}).get_data(as_text=True)
    assert 'id="confirm_year-error"' in wrong
    done = client.post("/awards/unfreeze", data={"year": "2026", "confirm_year": "2026",
                                                 "reason": "统计日期选错"})
    assert done.status_code == 302
    with app.app_context():
        assert AwardFreeze.select().count() == 0 and AwardRanking.select().count() == 0
    assert client.post("/awards/freeze", data=FREEZE).status_code == 302
    with app.app_context():
        actions = [a.action for a in AuditLog.select().where(AuditLog.entity == "award_ranking")
                   .order_by(AuditLog.id)]
        assert actions == ["freeze", "unfreeze", "freeze"]
