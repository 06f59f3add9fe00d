"""Project ledger pages: rendering, filters, forms (happy path and bad input), permissions."""
import datetime
import io
import re
from decimal import Decimal

import pytest

from tests.web.stage_forms import seen_stage

from tests.factories import make_county, make_project, make_task_force, make_user
from tracker import clock
from tracker.domain import pipeline
from tracker.models import (
    AuditLog, CapitalIncrease, CorrectionRequest, FundReceipt, Project, StageEvent, TaskForce, User,
)


def days_ago(n):
    return clock.today() - datetime.timedelta(days=n)


def counts():
    return tuple(m.select().count() for m in
                 (Project, StageEvent, FundReceipt, CapitalIncrease, AuditLog))


def errors(response):
    return re.findall(r'class="error">([^<]*)<', response.get_data(as_text=True))


class World:
    pass


@pytest.fixture
def world(app):
    w = World()
    with app.app_context():
        w.tf1 = make_task_force("TF1", "精细化工专班")
        w.tf2 = make_task_force("TF2", "高端装备专班")
        w.county = make_county("C1", "望花区")
        make_user("boss", "bureau")
        make_user("mia", "member", task_forces=[w.tf1])
        make_user("leo", "lead", task_forces=[w.tf2])
        make_user("nobody", "member")
        w.p1 = make_project(w.tf1, "乙烯下游一体化", investor="华锦集团", county=w.county,
                            planned_investment="250000", stage=pipeline.NEGOTIATING,
                            on=days_ago(40), tags="央企")
        w.p2 = make_project(w.tf2, "智能起重机产业园", investor="永茂建机",
                            planned_investment="80000", stage=pipeline.SIGNED,
                            contract_value="60000", on=days_ago(20))
    return w


def db_state(app):
    with app.app_context():
        return counts()


# --- rendering ----------------------------------------------------------------

def test_anonymous_redirected_to_login(client, world):
    for url in ("/projects/", f"/projects/{world.p1.id}", "/projects/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/projects/{world.p1.id}/funds", data={})
    assert response.status_code == 302


def test_every_page_renders(client, auth, world):
    auth.login("boss")
    page = client.get("/projects/").get_data(as_text=True)
    assert "乙烯下游一体化" in page and "智能起重机产业园" in page
    assert "250,000.00" in page and "60,000.00" in page  # wan filter
    detail = client.get(f"/projects/{world.p2.id}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    for expected in ("永茂建机", "高端装备专班", "推进阶段", "登记到位资金", "增资", "退库",
                     "进展时间线", days_ago(20).isoformat()):
        assert expected in text
    assert client.get("/projects/new").status_code == 200
    edit = client.get(f"/projects/{world.p1.id}/edit")
    assert edit.status_code == 200 and "乙烯下游一体化" in edit.get_data(as_text=True)
    assert client.get("/projects/999999").status_code == 404
    assert client.get("/projects/999999/edit").status_code == 404


def test_ledger_filters_sort_and_search(app, client, auth, world):
    auth.login("mia")

    def names(**args):
        page = client.get("/projects/", query_string=args)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return [n for n in ("乙烯下游一体化", "智能起重机产业园") if n in text]

    assert names(tf=world.tf1.id) == ["乙烯下游一体化"]
    assert names(stage=pipeline.SIGNED) == ["智能起重机产业园"]
    assert names(county=world.county.id) == ["乙烯下游一体化"]
    assert names(q="永茂") == ["智能起重机产业园"]        # investor
    assert names(q="乙烯") == ["乙烯下游一体化"]            # name
    assert names(q="100%") == []                            # LIKE wildcards are escaped
    assert names(tf="abc", stage="bogus", year="x", sort="nope", page="zz") == [
        "乙烯下游一体化", "智能起重机产业园"]               # bad filters are ignored
    text = client.get("/projects/", query_string={"sort": "planned", "dir": "asc"}).get_data(
        as_text=True)
    assert text.index("智能起重机产业园") < text.index("乙烯下游一体化")
    text = client.get("/projects/", query_string={"sort": "planned", "dir": "desc"}).get_data(
        as_text=True)
    assert text.index("乙烯下游一体化") < text.index("智能起重机产业园")
    for key in ("name", "contract", "stage", "updated"):
        assert client.get("/projects/", query_string={"sort": key}).status_code == 200


def test_ledger_year_filter(app, client, auth, world):
    old_year = clock.today().year - 3
    with app.app_context():
        old = make_project(world.tf1, "老项目", on=datetime.date(old_year, 5, 1),
                           stage=pipeline.PACKAGED)
        Project.update(created_at=datetime.datetime(old_year, 5, 1)).where(
            Project.id == old.id).execute()
        funded = make_project(world.tf1, "资金项目", on=datetime.date(old_year - 1, 3, 1))
        Project.update(created_at=datetime.datetime(old_year - 1, 3, 1)).where(
            Project.id == funded.id).execute()
        from tests.backfill import ledger as backfill_ledger
        from tracker.services.ledger import projects as ledger_projects
        service = backfill_ledger(ledger_projects)
        service.record_funds(None, funded, received_on=datetime.date(old_year, 7, 1), amount=5)
        from tracker.services.figures import years
        for project in (old, funded):
            years.sync(project.id)
    auth.login("boss")
    text = client.get("/projects/", query_string={"year": old_year}).get_data(as_text=True)
    assert "老项目" in text and "资金项目" in text
    assert "乙烯下游一体化" not in text
    text = client.get("/projects/", query_string={"year": clock.today().year}).get_data(
        as_text=True)
    assert "乙烯下游一体化" in text and "老项目" not in text


def test_ledger_pagination(app, client, auth, world):
    app.config["PER_PAGE"] = 1
    auth.login("boss")
    first = client.get("/projects/?sort=name&dir=asc").get_data(as_text=True)
    assert "第 1 / 2 页" in first
    second = client.get("/projects/?sort=name&dir=asc&page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second
    shown = [("乙烯下游一体化" in t, "智能起重机产业园" in t) for t in (first, second)]
    assert sorted(shown) == [(False, True), (True, False)]
    beyond = client.get("/projects/?page=99").get_data(as_text=True)
    assert "第 2 / 2 页" in beyond


def test_export_xlsx_of_filtered_ledger(client, auth, world):
    from openpyxl import load_workbook
    auth.login("mia")
    response = client.get("/projects/export.xlsx", query_string={"tf": world.tf2.id})
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)   # title row, header, one project
    assert rows[0][0].startswith("招商项目台账（专班：") and len(rows) == 3
    assert rows[1][:2] == ("序号", "项目名称")
    assert rows[2][:2] == (1, "智能起重机产业园")
    assert rows[2][rows[1].index("签约额（万元）")] == 60000


# --- create and edit -----------------------------------------------------------

def new_project_data(world, **overrides):
    data = {"name": "新材料项目", "task_force": str(world.tf1.id), "county": "",
            "investor": "某新材料公司", "investor_region": "长三角", "capital_type": "domestic",
            "industry": "新材料", "planned_investment": "12000.5", "contract_value": "",
            "signing_grade": "", "expected_sign_date": "", "owner": "", "contact": "",
            "next_step": "", "problems": "", "stage": pipeline.RESERVE,
            "on": clock.today().isoformat()}
    data.update(overrides)
    return data


def test_create_project_happy_path(app, client, auth, world):
    auth.login("mia")
    data = new_project_data(world, stage=pipeline.SIGNED, contract_value="9000",
                            signing_grade="contract", on=days_ago(3).isoformat(),
                            tags=["央企", "专精特新"])
    response = client.post("/projects/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        p = Project.get(Project.name == "新材料项目")
        assert p.planned_investment == Decimal("12000.50")
        assert p.stage == pipeline.SIGNED and p.contract_value == Decimal("9000.00")
        assert p.packaged_on == p.negotiating_on == p.signed_on == days_ago(3)
        assert p.tags == "央企,专精特新"
    assert response.headers["Location"].endswith(f"/projects/{p.id}#top")   # not the form's #anchor
    assert "新材料项目" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("overrides, message", [
    ({"planned_investment": "-5"}, "计划投资额不能为负数。"),
    ({"planned_investment": "abc"}, "必须是数字"),
    ({"planned_investment": "1000000000000000000000000000000"}, "超出合理范围"),
    ({"planned_investment": "NaN"}, "必须是数字"),
    ({"planned_investment": ""}, "请填写计划投资额。"),
    ({"name": ""}, "请填写项目名称。"),
    ({"on": "1900-01-01"}, "日期必须在"),
    ({"on": "2100-01-01"}, "不能晚于今天"),
    ({"on": "yesterday"}, "请输入有效日期"),
    ({"expected_sign_date": "1900-01-01"}, "日期必须在"),
    ({"stage": pipeline.SIGNED}, "签约及之后的阶段必须填写签约额"),
    ({"task_force": "999999"}, "请选择列表中的一项。"),
    ({"task_force": "abc"}, "请选择列表中的一项。"),
    ({"name": "乙烯下游一体化", "investor": "华锦集团"}, "该专班已有同名同投资方的项目。"),
])
def test_create_project_bad_input(app, client, auth, world, overrides, message):
    auth.login("mia")
    before = db_state(app)
    response = client.post("/projects/new", data=new_project_data(world, **overrides))
    assert response.status_code == 200
    assert any(message in e for e in errors(response)), errors(response)
    assert db_state(app) == before


def test_create_limited_to_own_task_forces(app, client, auth, world):
    auth.login("mia")
    form = client.get("/projects/new").get_data(as_text=True)
    assert "精细化工专班" in form and "高端装备专班" not in form
    before = db_state(app)
    response = client.post("/projects/new", data=new_project_data(
        world, task_force=str(world.tf2.id)))
    assert response.status_code == 200 and "请选择列表中的一项。" in errors(response)
    assert db_state(app) == before
    auth.logout()
    auth.login("nobody")
    assert client.get("/projects/new").status_code == 403
    assert "新建项目" not in client.get("/projects/").get_data(as_text=True)


def test_inactive_task_force_is_not_offered(app, client, auth, world):
    with app.app_context():
        TaskForce.update(active=False).where(TaskForce.id == world.tf2.id).execute()
    auth.login("boss")
    before = db_state(app)
    response = client.post("/projects/new", data=new_project_data(
        world, task_force=str(world.tf2.id)))
    assert "请选择列表中的一项。" in errors(response)
    assert db_state(app) == before
    # editing a project of the now inactive team still works when the team is unchanged
    response = client.post(f"/projects/{world.p2.id}/edit", data=dict(
        new_project_data(world, name="智能起重机产业园（二期）", investor="永茂建机",
                         contract_value="60000", planned_investment="80000",
                         task_force=str(world.tf2.id))))
    assert response.status_code == 302


def edit_data(world, project, **overrides):
    data = new_project_data(world, name=project.name, investor=project.investor,
                            task_force=str(project.task_force_id),
                            planned_investment=str(project.planned_investment),
                            contract_value=str(project.contract_value or ""))
    for key in ("stage", "on"):
        data.pop(key)
    data.update(overrides)
    return data


def test_edit_project_happy_path_keeps_stage_dates(app, client, auth, world):
    auth.login("mia")
    with app.app_context():
        dates = Project.get_by_id(world.p1.id).first_reached()
    response = client.post(f"/projects/{world.p1.id}/edit", data=edit_data(
        world, world.p1, planned_investment="260000", next_step="赴京拜访",
        county=str(world.county.id), change_kind="correction", change_reason="录入时少写一位"))
    assert response.status_code == 302
    with app.app_context():
        p = Project.get_by_id(world.p1.id)
        assert p.planned_investment == Decimal("260000.00") and p.next_step == "赴京拜访"
        assert p.first_reached() == dates and p.stage == pipeline.NEGOTIATING
        assert AuditLog.select().where(AuditLog.action == "update").count() == 1


@pytest.mark.parametrize("overrides, message", [
    ({"planned_investment": "-1"}, "不能为负数"),
    ({"planned_investment": "abc"}, "必须是数字"),
    ({"contract_value": "1000000000000000000000000000000"}, "超出合理范围"),
    ({"expected_sign_date": "1900-01-01"}, "日期必须在"),
    ({"contract_value": ""}, "已签约项目的签约额不能为空。"),
])
def test_edit_project_bad_input(app, client, auth, world, overrides, message):
    auth.login("leo")
    before = db_state(app)
    response = client.post(f"/projects/{world.p2.id}/edit",
                           data=edit_data(world, world.p2, **overrides))
    assert response.status_code == 200
    assert any(message in e for e in errors(response)), errors(response)
    assert db_state(app) == before


def test_edit_duplicate_name_is_rejected(app, client, auth, world):
    with app.app_context():
        make_project(world.tf1, "另一个项目", investor="华锦集团")
    auth.login("mia")
    before = db_state(app)
    response = client.post(f"/projects/{world.p1.id}/edit",
                           data=edit_data(world, world.p1, name="另一个项目"))
    assert any("该专班已有同名同投资方的项目。" in e for e in errors(response))
    assert db_state(app) == before


# --- actions on the detail page -----------------------------------------------

def test_advance_stage_happy_path(app, client, auth, world):
    auth.login("mia")
    response = client.post(f"/projects/{world.p1.id}/stage", data={**seen_stage(app, world.p1.id, "stage"),
        "stage-stage": pipeline.STARTED, "stage-on": days_ago(2).isoformat(),
        "stage-contract_value": "180000", "stage-signing_grade": "framework",
        "stage-note": "集中签约"})
    assert response.status_code == 302
    with app.app_context():
        p = Project.get_by_id(world.p1.id)
        assert p.stage == pipeline.STARTED and p.signed_on == p.started_on == days_ago(2)
        assert p.negotiating_on == days_ago(40)  # earlier date kept
        assert p.contract_value == Decimal("180000.00") and p.signing_grade == "framework"
    page = client.get(f"/projects/{world.p1.id}").get_data(as_text=True)
    assert "洽谈 → 开工" in page and "集中签约" in page


@pytest.mark.parametrize("data, message", [
    ({"stage-stage": pipeline.SIGNED}, "签约及之后的阶段必须填写签约额"),
    ({"stage-stage": pipeline.SIGNED, "stage-contract_value": "-5"}, "不能为负数"),
    ({"stage-stage": pipeline.SIGNED, "stage-contract_value": "abc"}, "必须是数字"),
    ({"stage-stage": pipeline.SIGNED, "stage-contract_value": "1000000000000000000000000000000"}, "超出合理范围"),
    ({"stage-stage": pipeline.SIGNED, "stage-contract_value": "0"}, "必须大于0"),
    ({"stage-stage": pipeline.RESERVE}, "必须填写说明"),          # backwards without a note
    ({"stage-stage": pipeline.NEGOTIATING}, "已处于"),
    ({"stage-stage": "bogus"}, "请选择列表中的一项。"),
    ({"stage-stage": pipeline.PACKAGED, "stage-note": "x", "stage-on": "1900-01-01"},
     "日期必须在"),
    ({"stage-stage": pipeline.PACKAGED, "stage-note": "x", "stage-on": ""}, "请填写日期。"),
])
def test_advance_stage_bad_input(app, client, auth, world, data, message):
    auth.login("mia")
    data = dict({"stage-on": clock.today().isoformat()}, **data)
    before = db_state(app)
    response = client.post(f"/projects/{world.p1.id}/stage", data={**seen_stage(app, world.p1.id, "stage"), **data})
    assert response.status_code == 200
    assert any(message in e for e in errors(response)), errors(response)
    assert db_state(app) == before


def test_record_funds_happy_path(app, client, auth, world):
    auth.login("leo")
    response = client.post(f"/projects/{world.p2.id}/funds", data={
        "funds-received_on": days_ago(1).isoformat(), "funds-currency": "CNY",
        "funds-amount": "1500", "funds-source_layer": "省外", "funds-evidence": "银行回单"})
    assert response.status_code == 302
    response = client.post(f"/projects/{world.p2.id}/funds", data={
        "funds-received_on": days_ago(1).isoformat(), "funds-currency": "USD",
        "funds-original_amount": "100", "funds-exchange_rate": "7.2",
        "funds-source_layer": "境外"})
    assert response.status_code == 302
    with app.app_context():
        amounts = sorted(r.amount for r in FundReceipt.select())
        assert amounts == [Decimal("720.00"), Decimal("1500.00")]
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    assert "2,220.00" in page and "银行回单" in page


@pytest.mark.parametrize("data, message", [
    ({"funds-amount": "-5"}, "不能为负数"),
    ({"funds-amount": "abc"}, "必须是数字"),
    ({"funds-amount": "1000000000000000000000000000000"}, "超出合理范围"),
    ({"funds-amount": ""}, "请填写到位金额。"),
    ({"funds-received_on": "1900-01-01"}, "日期必须在"),
    ({"funds-received_on": "2026-02-30"}, "请输入有效日期"),
    ({"funds-currency": "EUR"}, "请选择列表中的一项。"),
    ({"funds-currency": "USD", "funds-amount": "", "funds-original_amount": "10"},
     "请填写汇率。"),
    ({"funds-currency": "USD", "funds-amount": "", "funds-original_amount": "10",
      "funds-exchange_rate": "-7"}, "汇率必须大于0"),
])
def test_record_funds_bad_input(app, client, auth, world, data, message):
    auth.login("leo")
    data = dict({"funds-received_on": clock.today().isoformat(), "funds-currency": "CNY",
                 "funds-amount": "10", "funds-source_layer": "省外"}, **data)
    before = db_state(app)
    response = client.post(f"/projects/{world.p2.id}/funds", data=data)
    assert response.status_code == 200
    assert any(message in e for e in errors(response)), errors(response)
    assert db_state(app) == before


def test_capital_increase_happy_path_and_bad_input(app, client, auth, world):
    auth.login("leo")
    url = f"/projects/{world.p2.id}/increase"
    for data, message in [({"inc-amount": "-1"}, "不能为负数"),
                          ({"inc-amount": "abc"}, "必须是数字"),
                          ({"inc-amount": "1000000000000000000000000000000"}, "超出合理范围"),
                          ({"inc-on": "1900-01-01"}, "日期必须在"),
                          ({"inc-on": days_ago(30).isoformat()}, "不能早于签约日期")]:
        before = db_state(app)
        response = client.post(url, data=dict(
            {"inc-on": clock.today().isoformat(), "inc-amount": "500"}, **data))
        assert response.status_code == 200
        assert any(message in e for e in errors(response)), (message, errors(response))
        assert db_state(app) == before
    response = client.post(url, data={"inc-on": clock.today().isoformat(),
                                      "inc-amount": "5000", "inc-note": "二期扩产"})
    assert response.status_code == 302
    with app.app_context():
        assert CapitalIncrease.get().amount == Decimal("5000.00")
        assert Project.get_by_id(world.p2.id).contract_value == Decimal("60000.00")
    assert "增资 5,000.00 万元" in client.get(f"/projects/{world.p2.id}").get_data(as_text=True)


def test_capital_increase_refused_before_signing(app, client, auth, world):
    auth.login("mia")
    before = db_state(app)
    response = client.post(f"/projects/{world.p1.id}/increase", data={
        "inc-on": clock.today().isoformat(), "inc-amount": "10"})
    assert response.status_code == 200
    assert "只有已签约的项目才能登记增资。" in errors(response)
    assert db_state(app) == before


def test_drop_requires_reason_and_keeps_dates(app, client, auth, world):
    auth.login("leo")
    url = f"/projects/{world.p2.id}/drop"
    before = db_state(app)
    response = client.post(url, data={**seen_stage(app, world.p2.id, "drop"), "drop-on": clock.today().isoformat(),
                                      "drop-reason": " "})
    assert response.status_code == 200 and "退库必须填写原因。" in errors(response)
    response = client.post(url, data={**seen_stage(app, world.p2.id, "drop"), "drop-on": "1900-01-01",
                                      "drop-reason": "x"})
    assert any("日期必须在" in e for e in errors(response))
    assert db_state(app) == before
    with app.app_context():
        dates = Project.get_by_id(world.p2.id).first_reached()
    response = client.post(url, data={**seen_stage(app, world.p2.id, "drop"), "drop-on": clock.today().isoformat(),
                                      "drop-reason": "企业资金链断裂"})
    assert response.status_code == 302
    with app.app_context():
        p = Project.get_by_id(world.p2.id)
        assert p.stage == pipeline.DROPPED and p.drop_reason == "企业资金链断裂"
        assert p.first_reached() == dates
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    assert "企业资金链断裂" in page
    # restoring needs a note
    response = client.post(f"/projects/{world.p2.id}/stage", data={**seen_stage(app, world.p2.id, "stage"),
        "stage-stage": pipeline.SIGNED, "stage-on": clock.today().isoformat()})
    assert "从退库恢复项目必须填写说明。" in errors(response)


# --- permissions ----------------------------------------------------------------

def test_member_cannot_edit_other_task_force_project(app, client, auth, world):
    auth.login("mia")
    url = f"/projects/{world.p2.id}"
    assert client.get(url).status_code == 200                # anyone logged in reads
    assert "推进阶段" not in client.get(url).get_data(as_text=True)
    before = db_state(app)
    assert client.get(url + "/edit").status_code == 403
    assert client.post(url + "/edit", data=edit_data(world, world.p2)).status_code == 403
    assert client.post(url + "/stage", data={
        "stage-stage": pipeline.STARTED, "stage-on": clock.today().isoformat()}).status_code == 403
    assert client.post(url + "/funds", data={
        "funds-received_on": clock.today().isoformat(), "funds-currency": "CNY",
        "funds-amount": "1", "funds-source_layer": "省外"}).status_code == 403
    assert client.post(url + "/increase", data={
        "inc-on": clock.today().isoformat(), "inc-amount": "1"}).status_code == 403
    assert client.post(url + "/drop", data={
        "drop-on": clock.today().isoformat(), "drop-reason": "x"}).status_code == 403
    assert db_state(app) == before


def test_lead_edits_own_and_bureau_edits_all(app, client, auth, world):
    auth.login("leo")
    assert client.get(f"/projects/{world.p2.id}/edit").status_code == 200
    assert client.get(f"/projects/{world.p1.id}/edit").status_code == 403
    auth.logout()
    auth.login("boss")
    assert client.get(f"/projects/{world.p1.id}/edit").status_code == 200
    response = client.post(f"/projects/{world.p2.id}/funds", data={
        "funds-received_on": clock.today().isoformat(), "funds-currency": "CNY",
        "funds-amount": "1", "funds-source_layer": "省外"})
    assert response.status_code == 302


def test_project_post_without_csrf_token_is_rejected(csrf_app):
    with csrf_app.app_context():
        team = make_task_force("TF1")
        make_user("boss", "bureau")
        project = make_project(team, "P")
        before = counts()
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": "boss", "password": "password123",
                                       "csrf_token": token}).status_code == 302
    response = client.post(f"/projects/{project.id}/funds", data={
        "funds-received_on": clock.today().isoformat(), "funds-currency": "CNY",
        "funds-amount": "1", "funds-source_layer": "省外"})
    assert response.status_code == 400
    with csrf_app.app_context():
        assert counts() == before


# --- corrections: 作废, 更正/变更 and the project's own history ------------------------

def void(client, project, kind, item_id, reason="重复登记"):
    return client.post(f"/projects/{project.id}/void",
                       data={"kind": kind, "item_id": str(item_id), "reason": reason})


def test_void_receipt_from_the_page(app, client, auth, world):
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    service = backfill_ledger(ledger_projects)
    with app.app_context():
        receipt = service.record_funds(None, world.p2.id, received_on=clock.today(),
                                       amount="1500", evidence="银行回单")
    auth.login("leo")
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    assert "作废此记录" in page and f'name="item_id" value="{receipt.id}"' in page
    before = db_state(app)
    response = void(client, world.p2, "funds", receipt.id, reason=" ")
    assert response.status_code == 200 and "请填写作废原因" in response.get_data(as_text=True)
    assert db_state(app) == before
    response = void(client, world.p2, "funds", receipt.id, reason="银行回单重复上传")
    assert response.status_code == 302
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    assert "<del>" in page and "已作废" in page and "银行回单重复上传" in page
    assert "到位资金合计</dt><dd>0.00 万元" in page
    history = page[page.index('id="history"'):]
    assert "项目作废" in history and "作废原因：— → 银行回单重复上传" in history
    with app.app_context():
        assert FundReceipt.select().count() == 1 and FundReceipt.get().voided


def test_void_permissions_from_the_page(app, client, auth, world):
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    service = backfill_ledger(ledger_projects)
    last_year = datetime.date(clock.today().year - 1, 12, 1)
    with app.app_context():
        old = service.record_funds(None, world.p2.id, received_on=last_year, amount="700")
        new = service.record_funds(None, world.p2.id, received_on=clock.today(), amount="80")
    auth.login("mia")
    before = db_state(app)
    assert void(client, world.p2, "funds", new.id).status_code == 403
    assert db_state(app) == before
    auth.logout()
    auth.login("leo")
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    # a closed quarter's row: the lead asks (a 更正申请, issue 19); nothing is voided yet
    assert "申请作废此记录" in page and "提交作废申请" in page and f'value="{old.id}"' in page
    response = void(client, world.p2, "funds", old.id)
    assert response.status_code == 302
    assert "已提交更正申请" in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        assert not FundReceipt.get_by_id(old.id).voided
        assert CorrectionRequest.select().where(CorrectionRequest.action == "void").count() == 1
    auth.logout()
    auth.login("boss")
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    assert f'value="{old.id}"' in page and "已冻结的季度快照保留原数" in page
    assert void(client, world.p2, "funds", old.id).status_code == 302
    with app.app_context():
        assert FundReceipt.get_by_id(old.id).voided and not FundReceipt.get_by_id(new.id).voided


def test_void_latest_stage_change_from_the_page(app, client, auth, world):
    auth.login("leo")
    response = client.post(f"/projects/{world.p2.id}/stage", data={**seen_stage(app, world.p2.id, "stage"),
        "stage-stage": pipeline.STARTED, "stage-on": clock.today().isoformat(),
        "stage-expected_stage": pipeline.SIGNED})
    assert response.status_code == 302
    with app.app_context():
        event = StageEvent.select().order_by(StageEvent.id.desc()).first()
        assert Project.get_by_id(world.p2.id).started_on == clock.today()
    assert void(client, world.p2, "stage", event.id, reason="尚未开工").status_code == 302
    with app.app_context():
        p = Project.get_by_id(world.p2.id)
        assert p.stage == pipeline.SIGNED and p.started_on is None
        assert p.signed_on == days_ago(20)
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    assert "尚未开工" in page and "作废此记录" not in page   # the creation event stays


@pytest.mark.parametrize("data", [
    {}, {"kind": "funds", "item_id": "abc", "reason": "x"},
    {"kind": "zzz", "item_id": "1", "reason": "x"},
    {"kind": "funds", "item_id": "987654", "reason": "x"},
])
def test_void_bad_input_is_refused(app, client, auth, world, data):
    auth.login("boss")
    before = db_state(app)
    response = client.post(f"/projects/{world.p2.id}/void", data=data)
    assert response.status_code in (200, 404)
    assert db_state(app) == before


def test_edit_amount_needs_kind_date_and_reason(app, client, auth, world):
    auth.login("leo")
    url = f"/projects/{world.p2.id}/edit"
    assert "修改计划投资额或签约额时必填" in client.get(url).get_data(as_text=True)
    before = db_state(app)
    response = client.post(url, data=edit_data(world, world.p2, contract_value="65000"))
    assert response.status_code == 200
    assert any("请选择修改类型" in e for e in errors(response)), errors(response)
    assert any("须填写原因" in e for e in errors(response))
    response = client.post(url, data=edit_data(world, world.p2, contract_value="65000",
                                               change_kind="change", change_reason="补充协议"))
    assert "变更须填写生效日期。" in errors(response)
    assert db_state(app) == before
    response = client.post(url, data=edit_data(
        world, world.p2, contract_value="65000", change_kind="change",
        change_on=clock.today().isoformat(), change_reason="补充协议"))
    assert response.status_code == 302
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    assert "签约额变更：60,000.00 万元 → 65,000.00 万元" in page and "补充协议" in page
    history = page[page.index('id="history"'):]
    assert "签约额：60,000.00 → 65,000.00" in history and "修改类型：— → 变更" in history


def test_project_history_is_paged_newest_first(app, client, auth, world):
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    service = backfill_ledger(ledger_projects)
    with app.app_context():
        for i in range(app.config["PER_PAGE"] + 2):
            service.update_project(None, world.p1.id, next_step=f"第{i}步")
    auth.login("mia")
    page = client.get(f"/projects/{world.p1.id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    last = app.config["PER_PAGE"] + 1
    assert f"第{last}步" in history and "第 1 / 2 页" in history
    assert history.index(f"→ 第{last}步") < history.index(f"→ 第{last - 1}步")
    second = client.get(f"/projects/{world.p1.id}?page=2").get_data(as_text=True)
    assert "项目新建" in second[second.index('id="history"'):]


# --- ledger: 本专班 / 我负责的, 责任人 and 到位资金, page numbers and sizes ----------------

def ledger_names(client, **args):
    text = client.get("/projects/", query_string=args).get_data(as_text=True)
    return [n for n in ("乙烯下游一体化", "智能起重机产业园") if n in text], text


def test_member_lands_on_own_task_force_latest_progress_first(app, client, auth, world):
    auth.login("mia")
    shown, text = ledger_names(client)
    assert shown == ["乙烯下游一体化"]                     # only 精细化工专班 (TF1)
    assert re.search(r'data-scope="team"\s+aria-current="page"', text)
    assert "本专班：共 1 个项目" in text
    assert 'class="sorted">最近进展 ↓' in text
    shown, text = ledger_names(client, scope="all")         # the whole ledger, one click
    assert shown == ["乙烯下游一体化", "智能起重机产业园"]
    auth.logout()
    auth.login("boss")                                       # no task force: everything
    shown, text = ledger_names(client)
    assert shown == ["乙烯下游一体化", "智能起重机产业园"]
    assert 'data-scope="team"' not in text and 'data-scope="mine"' in text


def test_mine_filter_is_owner_is_me_and_sorted_by_progress(app, client, auth, world):
    with app.app_context():
        leo = User.get(User.username == "leo")
        Project.update(owner=leo.id).where(Project.id.in_([world.p1.id, world.p2.id])).execute()
    auth.login("leo")
    shown, text = ledger_names(client, scope="mine", sort="progress", dir="desc")
    # p2's last progress (20 days ago) is newer than p1's (40 days ago)
    assert shown == ["乙烯下游一体化", "智能起重机产业园"]
    assert text.index("智能起重机产业园") < text.index("乙烯下游一体化")
    assert "我负责的：共 2 个项目" in text
    auth.logout()
    auth.login("mia")
    assert ledger_names(client, scope="mine")[0] == []
    response = client.get("/projects/export.xlsx", query_string={"scope": "mine"})
    assert response.status_code == 200                      # the export takes the same filter


def test_ledger_shows_owner_and_funds(app, client, auth, world):
    from tracker.services.ledger import corrections
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    service = backfill_ledger(ledger_projects)
    with app.app_context():
        leo = User.get(User.username == "leo")
        leo.display_name = "李工"
        leo.save()
        Project.update(owner=leo.id).where(Project.id == world.p2.id).execute()
        service.record_funds(None, world.p2.id, received_on=days_ago(3), amount="300")
        service.record_funds(None, world.p2.id, received_on=days_ago(2), amount="1200.5")
        void_me = service.record_funds(None, world.p2.id, received_on=days_ago(1), amount="7")
        receipt = FundReceipt.select().where(FundReceipt.amount == 7).get()
        corrections.void(User.get(User.username == "boss"), world.p2.id, "funds", receipt.id,
                         "重复登记")
        del void_me
    auth.login("boss")
    text = client.get("/projects/", query_string={"scope": "all"}).get_data(as_text=True)
    assert "<th>责任人</th>" in text and ">到位资金<" in text
    assert re.search(r'data-field="owner">李工<', text)
    funds = re.findall(r'data-field="funds">([^<]*)<', text)
    assert sorted(funds) == ["0.00", "1,500.50"]            # the void receipt does not count
    assert re.findall(r'data-field="owner">([^<]*)<', text).count("—") == 1


def test_ledger_page_numbers_and_page_size(app, client, auth, world):
    with app.app_context():
        for i in range(58):
            make_project(world.tf1, f"批量项目{i:02d}", on=days_ago(1))
    auth.login("boss")

    def rows(**args):
        text = client.get("/projects/", query_string=dict(args, scope="all")).get_data(
            as_text=True)
        return text.count('data-field="planned"'), text

    count, text = rows()
    assert count == 25 and "第 1 / 3 页" in text             # TRACKER_PER_PAGE
    assert re.search(r'<a href="[^"]*page=3[^"]*">3</a>', text)
    assert '<span class="current" aria-current="page">1</span>' in text
    count, text = rows(per=50)
    assert count == 50 and "第 1 / 2 页" in text
    assert re.search(r'<option selected value="50">|<option value="50" selected>', text)
    count, text = rows(per=50, page=2)
    assert count == 10 and "第 2 / 2 页" in text
    count, _ = rows(per=100)
    assert count == 60
    count, _ = rows(per=7)                                   # not offered: the default
    assert count == 25
    count, text = rows(sort="progress", page=3)              # by number, no cursor
    assert count == 10 and "after=" not in text and "before=" not in text


def test_ledger_year_filter_says_what_it_filters(client, auth, world):
    auth.login("boss")
    text = client.get("/projects/").get_data(as_text=True)
    assert "有进展或到达阶段的年度" in text
    assert 'aria-describedby="year-help"' in text


# --- forms: a failed submit keeps what was typed, marks the fields, opens at the form --------

def test_failed_action_keeps_input_marks_field_and_anchors_form(app, client, auth, world):
    auth.login("mia")
    page = client.get(f"/projects/{world.p1.id}").get_data(as_text=True)
    for anchor in ("stage", "funds", "drop"):
        assert re.search(rf'action="/projects/{world.p1.id}/\w+#{anchor}"', page)
    assert 'inputmode="decimal"' in page and '<span class="unit">万元</span>' in page
    response = client.post(f"/projects/{world.p1.id}/stage", data={**seen_stage(app, world.p1.id, "stage"),
        "stage-stage": pipeline.SIGNED, "stage-on": clock.today().isoformat(),
        "stage-contract_value": "一千万"})
    text = response.get_data(as_text=True)
    assert any("必须是数字" in e for e in errors(response)), errors(response)
    assert 'value="一千万"' in text
    field = re.search(r'<input[^>]*id="stage-contract_value"[^>]*>', text).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="stage-contract_value-error stage-contract_value-help"' in field
    assert 'id="stage-contract_value-error"' in text
    assert text.count('aria-invalid="true"') == 1            # only the failed field
    section = text[text.index('id="stage"'):text.index('id="funds"')]
    assert "提交未成功" in section                            # the banner is at the form
    assert re.search(r'<script src="/static/app\.js[?"]', text)


def test_failed_new_project_shows_banner_and_typed_amount(app, client, auth, world):
    auth.login("mia")
    page = client.get("/projects/new").get_data(as_text=True)
    assert 'action="/projects/new#project-form"' in page and 'id="project-form"' in page
    response = client.post("/projects/new", data=new_project_data(
        world, planned_investment="一千万", name=""))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "提交未成功" in text and 'value="一千万"' in text
    assert any("必须是数字" in e for e in errors(response))
    invalid = re.findall(r'<(?:input|select|textarea)[^>]*aria-invalid="true"[^>]*>', text)
    assert [re.search(r'\sid="([^"]+)"', tag).group(1) for tag in invalid] == [
        "name", "planned_investment"]                         # in page order: name first
    # the version-conflict message (no field of its own) is in the banner too
    edit = client.post(f"/projects/{world.p1.id}/edit", data=edit_data(world, world.p1,
                                                                       version="0"))
    assert "此项目已被他人修改" in edit.get_data(as_text=True)


def test_footer_says_beijing_time(client, auth, world):
    auth.login("boss")
    text = client.get("/projects/").get_data(as_text=True)
    assert "北京时间" in text and "时区 Asia/Shanghai" not in text
