"""Forms that do not trip people (issue 20): amounts typed as "1.5亿" / "1500万" are stored in
万元 and echoed after the save; the 金额修改类型 is asked with the amount; 资金来源 has no
preselected choice; the 责任人 list holds the task forces' people; required fields are
marked; every number field asks for a decimal keyboard; the project page opens with its
actions and folds a long history."""
import re
from decimal import Decimal

import pytest

from tests.factories import make_project, make_user
from tests.web import test_projects as ledger_tests
from tests.web.test_projects import days_ago, db_state, edit_data, errors, new_project_data
from tracker import clock
from tracker.domain import pipeline
from tracker.models import CapitalIncrease, FundReceipt, Project

STORED = "= 15,000.00 万元"
world = ledger_tests.world      # the fixture: two task forces, their people, two projects


def flashes(response):
    return re.findall(r'class="flash flash-success"[^>]*>([^<]*)<', response.get_data(as_text=True))


def follow(client, response):
    assert response.status_code == 302, errors(response)
    return client.get(response.headers["Location"])


# --- amounts as people type them -------------------------------------------------------

def test_create_takes_yi_and_says_what_it_stored(app, client, auth, world):
    auth.login("mia")
    response = client.post("/projects/new", data=new_project_data(
        world, planned_investment="1.5亿", stage=pipeline.SIGNED, contract_value="3000万元",
        signing_grade="contract"))
    page = follow(client, response)
    with app.app_context():
        project = Project.get(Project.name == "新材料项目")
        assert project.planned_investment == Decimal("15000.00")
        assert project.contract_value == Decimal("3000.00")
    assert any(f"计划投资额 {STORED}" in f for f in flashes(page)), flashes(page)


@pytest.mark.parametrize("typed", ["1.5亿", "15,000", "１５０００",
                                   "1.5 亿元", "15000万元"])
def test_create_reads_every_form_of_the_same_amount(app, client, auth, world, typed):
    auth.login("mia")
    response = client.post("/projects/new", data=new_project_data(world, planned_investment=typed))
    assert response.status_code == 302, errors(response)
    with app.app_context():
        assert Project.get(Project.name == "新材料项目").planned_investment == Decimal("15000.00")


def test_edit_takes_yi_with_its_kind_and_echoes_both_amounts(app, client, auth, world):
    auth.login("leo")
    response = client.post(f"/projects/{world.p2.id}/edit", data=edit_data(
        world, world.p2, planned_investment="1.5亿", contract_value="1.2亿",
        change_kind="correction", change_reason="单位写错"))
    page = follow(client, response)
    with app.app_context():
        project = Project.get_by_id(world.p2.id)
        assert (project.planned_investment, project.contract_value) == (
            Decimal("15000.00"), Decimal("12000.00"))
    assert any(f"计划投资额 {STORED}，签约额 = 12,000.00 万元" in f for f in flashes(page))


def test_funds_increase_and_stage_take_units(app, client, auth, world):
    auth.login("leo")
    url = f"/projects/{world.p2.id}"
    page = follow(client, client.post(f"{url}/funds", data={
        "funds-received_on": days_ago(1).isoformat(), "funds-currency": "CNY",
        "funds-amount": "1.5亿", "funds-source_layer": "省外"}))
    assert any(f"到位金额 {STORED}" in f for f in flashes(page)), flashes(page)
    page = follow(client, client.post(f"{url}/increase", data={
        "inc-on": clock.today().isoformat(), "inc-amount": "1500万"}))
    assert any("增资金额 = 1,500.00 万元" in f for f in flashes(page)), flashes(page)
    page = follow(client, client.post(f"{url}/funds", data={
        "funds-received_on": days_ago(1).isoformat(), "funds-currency": "USD",
        "funds-original_amount": "1000万美元", "funds-exchange_rate": "7.2",
        "funds-source_layer": "境外"}))
    assert any("到位金额 = 7,200.00 万元" in f for f in flashes(page)), flashes(page)
    with app.app_context():
        assert sorted(r.amount for r in FundReceipt.select()) == [Decimal("7200.00"),
                                                                 Decimal("15000.00")]
        assert CapitalIncrease.get().amount == Decimal("1500.00")
    auth.logout()
    auth.login("mia")
    page = follow(client, client.post(f"/projects/{world.p1.id}/stage", data={
        "stage-stage": pipeline.SIGNED, "stage-on": days_ago(1).isoformat(),
        "stage-expected_stage": pipeline.NEGOTIATING, "stage-contract_value": "1.5亿"}))
    assert any(f"签约额 {STORED}" in f for f in flashes(page)), flashes(page)
    with app.app_context():
        assert Project.get_by_id(world.p1.id).contract_value == Decimal("15000.00")


@pytest.mark.parametrize("url, data, field", [
    ("/projects/new", None, "planned_investment"),
    ("/projects/{p1}/funds", {"funds-received_on": "", "funds-currency": "CNY",
                              "funds-source_layer": "省外"}, "funds-amount"),
    ("/projects/{p2}/increase", {"inc-on": ""}, "inc-amount"),
])
def test_an_unreadable_amount_names_the_unit_and_the_forms(app, client, auth, world, url, data,
                                                          field):
    auth.login("boss")
    data = new_project_data(world) if data is None else dict(data)
    data[field] = "约1.5亿"
    before = db_state(app)
    response = client.post(url.format(p1=world.p1.id, p2=world.p2.id), data=data)
    assert response.status_code == 200
    assert any("必须是数字（单位：万元），可填 15000、15,000.5、1500万、1.5亿。" in e
               for e in errors(response)), errors(response)
    assert 'value="约1.5亿"' in response.get_data(as_text=True)    # shown back as typed
    assert db_state(app) == before


def test_the_service_reads_units_for_the_cli_and_the_api(app, world):
    from tracker.services.ledger import projects as service
    with app.app_context():
        project = make_project(world.tf1, "服务层项目", planned_investment="2.5亿")
        assert project.planned_investment == Decimal("25000.00")
        receipt = service.record_funds(None, project.id, received_on=clock.today(),
                                       amount="１５００万")
        assert receipt.amount == Decimal("1500.00")


# --- the 金额修改类型 -----------------------------------------------------------------------

def test_the_amount_change_kind_never_says_unchanged(client, auth, world):
    auth.login("leo")
    page = client.get(f"/projects/{world.p2.id}/edit").get_data(as_text=True)
    assert "（未修改金额）" not in page
    box = page[page.index('<fieldset class="amount-change" id="amount-change"'):]
    box = box[:box.index("</fieldset>")]
    assert "hidden" not in box.split(">")[0]                 # shown without script
    assert '<option selected value="">请选择（修改了金额时必选）</option>' in box
    assert re.search(r'data-original="80000(\.00)?"', page)       # what app.js compares
    assert re.search(r'data-original="60000(\.00)?"', page)


def test_a_changed_amount_without_its_kind_is_asked_beside_it(app, client, auth, world):
    auth.login("leo")
    before = db_state(app)
    response = client.post(f"/projects/{world.p2.id}/edit",
                           data=edit_data(world, world.p2, contract_value="6.5亿"))
    assert response.status_code == 200
    assert any("请选择修改类型" in e for e in errors(response))
    page = response.get_data(as_text=True)
    assert 'value="6.5亿"' in page and 'aria-invalid="true"' in page
    assert db_state(app) == before


# --- 资金来源 and 责任人 ------------------------------------------------------------------------

def test_the_source_layer_is_chosen_not_preselected(app, client, auth, world):
    auth.login("leo")
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="funds-source_layer"[^>]*>(.*?)</select>', page, re.S)
    assert select and 'required' in select.group(0).split(">")[0]
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0] == (' selected value=""', "请选择")
    assert [text for attrs, text in options if "selected" in attrs] == ["请选择"]
    before = db_state(app)
    response = client.post(f"/projects/{world.p2.id}/funds", data={
        "funds-received_on": days_ago(1).isoformat(), "funds-currency": "CNY",
        "funds-amount": "abc", "funds-source_layer": ""})
    assert response.status_code == 200
    # refused with the other messages of the form at once, not one round after another
    assert any(e.startswith("资金来源") for e in errors(response)), errors(response)
    assert any("必须是数字" in e for e in errors(response)), errors(response)
    assert db_state(app) == before


def owner_options(page):
    select = re.search(r'<select[^>]*name="owner"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select), \
        re.findall(r'<optgroup label="([^"]*)"', select)


def test_owners_are_the_task_forces_people(app, client, auth, world):
    with app.app_context():
        make_user("admin1", "admin", display_name="系统管理员")
        make_user("bureau1", "bureau", display_name="市商务局·招商科")
        make_user("ann", "member", task_forces=[world.tf1], display_name="安专员")
        make_user("gone", "member", task_forces=[world.tf1], active=False)
    auth.login("mia")
    names, groups = owner_options(client.get("/projects/new").get_data(as_text=True))
    assert names == ["（未指定）", "安专员", "mia"] and groups == ["精细化工专班"]
    auth.logout()
    auth.login("boss")
    names, groups = owner_options(client.get("/projects/new").get_data(as_text=True))
    assert "系统管理员" not in names and "市商务局·招商科" not in names and "boss" not in names
    assert "leo（负责人）" in names and groups == ["精细化工专班", "高端装备专班"]
    # a project's current 责任人 stays selectable, even when no longer one of them
    with app.app_context():
        old = make_user("old", "bureau")
        Project.update(owner=old.id).where(Project.id == world.p2.id).execute()
    names, groups = owner_options(client.get(f"/projects/{world.p2.id}/edit").get_data(as_text=True))
    assert "old" in names and groups[0] == "当前责任人"
    response = client.post(f"/projects/{world.p2.id}/edit",
                           data=edit_data(world, world.p2, next_step="回访"))
    assert response.status_code == 302, errors(response)


# --- marks and keyboards -------------------------------------------------------------------

def inputs(page):
    return {m.group(1): m.group(0) for m in re.finditer(
        r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"[^>]*>', page)}


def test_required_fields_are_marked_with_a_legend(client, auth, world):
    auth.login("mia")
    page = client.get("/projects/new").get_data(as_text=True)
    assert "带 * 为必填" in page
    fields = inputs(page)
    for name in ("name", "task_force", "planned_investment", "stage", "on"):
        assert 'aria-required="true"' in fields[name], name
        label = re.search(rf'<label for="{name}">([^<]*)<span class="req"', page)
        assert label, name
    for name in ("investor", "contract_value", "owner"):
        assert "aria-required" not in fields[name], name
    detail = inputs(client.get(f"/projects/{world.p1.id}").get_data(as_text=True))
    for name in ("stage-stage", "stage-on", "funds-received_on", "funds-source_layer",
                 "drop-on", "drop-reason"):
        assert 'aria-required="true"' in detail[name], name


NUMBER_FIELDS = {
    "/projects/new": ["planned_investment", "contract_value"],
    "/projects/{p2}/edit": ["planned_investment", "contract_value"],
    "/projects/{p2}": ["stage-contract_value", "funds-amount", "funds-original_amount",
                       "funds-exchange_rate", "inc-amount"],
    "/targets/{year}/team/{tf1}": ["packaged_value", "negotiations", "signed_value",
                                   "funds_received"],
    "/targets/{year}/shares": ["packaged_value_q1", "negotiations_q4"],
    "/targets/{year}/county/{county}": ["base", "growth_pct"],
}


def test_every_number_field_has_a_keyboard_and_a_unit(client, auth, world):
    auth.login("boss")
    for url, names in NUMBER_FIELDS.items():
        response = client.get(url.format(p2=world.p2.id, tf1=world.tf1.code,
                                         county=world.county.code, year=clock.today().year))
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        fields = inputs(page)
        for name in names:
            assert re.search(r'inputmode="(decimal|numeric)"', fields[name]), (url, name)
            after = page[page.index(fields[name]) + len(fields[name]):][:40]
            assert after.startswith('<span class="unit">'), (url, name, after)
        for name in names:
            if name in ("planned_investment", "contract_value", "funds-amount", "inc-amount"):
                assert 'data-amount="万元"' in fields[name]
                assert f'<output class="amount-echo" id="{name}-echo"' in page


# --- the project page: actions first, history folded --------------------------------------

def test_the_project_page_opens_with_its_actions(app, client, auth, world):
    with app.app_context():
        from tracker.services.ledger import projects as service
        for day in range(1, 9):
            service.record_funds(None, world.p2.id, received_on=days_ago(day), amount="10",
                                 source_layer="省外")
    auth.login("leo")
    page = client.get(f"/projects/{world.p2.id}").get_data(as_text=True)
    nav = page[page.index('<nav class="jump-links"'):]
    nav = nav[:nav.index("</nav>")]
    assert re.findall(r'href="#([a-z]+)"', nav) == [
        "stage", "funds", "increase", "drop", "info", "timeline", "receipts", "history"]
    for anchor in ("stage", "funds", "increase", "drop"):
        assert page.index(f'id="{anchor}"') < page.index('id="info"') < page.index('id="timeline"')
    # 8 receipts + the stage events: the timeline shows 5, the rest folded; the table folded
    timeline = page[page.index('id="timeline"'):page.index('id="receipts"')]
    shown = timeline[:timeline.index('<details class="fold">')]
    assert shown.count("<li") == 5 and "显示全部" in timeline
    receipts = page[page.index('id="receipts"'):page.index('id="history"')]
    assert re.search(r'<details class="fold"><summary>到位资金明细 8 笔', receipts)
    auth.logout()
    auth.login("boss")
    mia = client.get(f"/projects/{world.p1.id}").get_data(as_text=True)
    assert 'href="#increase"' not in mia            # no 增资 before signing
    with app.app_context():
        make_user("viewer", "member")
    auth.logout()
    auth.login("viewer")
    page = client.get(f"/projects/{world.p1.id}").get_data(as_text=True)
    assert 'href="#stage"' not in page and 'href="#info"' in page
