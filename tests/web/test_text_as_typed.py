"""Text as typed (issue 18) through the pages, the commands and the API, on every backend:
"，。、：；“”‘’（）《》【】—…" and full-width letters/digits survive every form with a name,
a note or a reason, `flask create-user`/`api-token create`, and come back as typed from
GET /api/v1/progress and the ledger export."""
import datetime
import io
import re

import pytest

from tests.web.stage_forms import seen_stage
from openpyxl import load_workbook

from tests.factories import make_project, make_task_force, make_user
from tracker import clock
from tracker.domain import pipeline
from tracker.models import (AmountChange, ApiToken, CapitalIncrease, FundReceipt, Project,
    StageEvent, TaskForce, TaskForceTarget, User)

PUNCT = "，。、：；“”‘’（）《》【】—…"
WIDE = "ＡＢＣ１２３"
NAME = f"抚顺（新材料）：一期，“{WIDE}”《方案》【试点】—…"
NOTE = f"第一行：（甲）、乙；“丙”‘丁’\n第二行《戊》【己】—…{WIDE}"
GOOD = "Lantern-River-42"


def days_ago(n):
    return clock.today() - datetime.timedelta(days=n)


@pytest.fixture
def world(app):
    with app.app_context():
        team = make_task_force("TF1", "精细化工专班")
        make_user("boss", "bureau")
        make_user("mia", "member", task_forces=[team])
        return team.id


def _form(team_id, **overrides):
    data = {"name": NAME, "task_force": str(team_id), "county": "",
            "investor": f"投资方（{WIDE}）：集团", "investor_region": "长三角",
            "capital_type": "domestic", "industry": "新材料（化工）", "planned_investment": "1000",
            "contract_value": "", "signing_grade": "", "expected_sign_date": "", "owner": "",
            "contact": f"张三，{PUNCT}", "next_step": NOTE, "problems": f"问题：{PUNCT}",
            "stage": pipeline.RESERVE, "on": days_ago(30).isoformat()}
    data.update(overrides)
    return data


def _ok(response):
    assert response.status_code == 302, re.findall(r'class="error">([^<]*)<',
                                                   response.get_data(as_text=True))
    return response


def test_every_project_form_keeps_the_text(app, client, auth, world):
    auth.login("mia")
    _ok(client.post("/projects/new", data=_form(world)))
    with app.app_context():
        p = Project.get(Project.name == NAME)
        assert (p.investor, p.industry, p.contact) == (
            f"投资方（{WIDE}）：集团", "新材料（化工）", f"张三，{PUNCT}")
        assert (p.next_step, p.problems) == (NOTE, f"问题：{PUNCT}")
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert NAME in page and f"问题：{PUNCT}" in page

    edited = f"{NAME}（二期）"
    _ok(client.post(f"/projects/{p.id}/edit", data=_form(
        world, name=edited, planned_investment="1200", change_kind="correction",
        change_reason=f"录入错误：{PUNCT}", stage=None, on=None)))
    _ok(client.post(f"/projects/{p.id}/stage", data={**seen_stage(app, p.id, "stage"),
        "stage-stage": pipeline.SIGNED, "stage-on": days_ago(10).isoformat(),
        "stage-contract_value": "900", "stage-signing_grade": "contract",
        "stage-note": f"签约：{PUNCT}"}))
    _ok(client.post(f"/projects/{p.id}/funds", data={
        "funds-received_on": days_ago(5).isoformat(), "funds-currency": "CNY",
        "funds-amount": "100", "funds-source_layer": "省外",
        "funds-evidence": f"回单（{WIDE}）：{PUNCT}"}))
    _ok(client.post(f"/projects/{p.id}/increase", data={
        "inc-on": days_ago(4).isoformat(), "inc-amount": "50", "inc-note": f"增资：{PUNCT}"}))
    with app.app_context():
        receipt = FundReceipt.get()
    _ok(client.post(f"/projects/{p.id}/void", data={
        "kind": "funds", "item_id": str(receipt.id), "reason": f"重复登记：{PUNCT}"}))
    _ok(client.post(f"/projects/{p.id}/drop", data={**seen_stage(app, p.id, "drop"),
        "drop-on": days_ago(1).isoformat(), "drop-reason": f"退库：{PUNCT}"}))
    with app.app_context():
        row = Project.get_by_id(p.id)
        assert (row.name, row.drop_reason) == (edited, f"退库：{PUNCT}")
        assert AmountChange.get().reason == f"录入错误：{PUNCT}"
        notes = [e.note for e in StageEvent.select().order_by(StageEvent.id)]
        assert f"签约：{PUNCT}" in notes and notes[-1].startswith(f"退库：{PUNCT}")
        receipt = FundReceipt.get_by_id(receipt.id)
        assert (receipt.evidence, receipt.void_reason) == (
            f"回单（{WIDE}）：{PUNCT}", f"重复登记：{PUNCT}")
        assert CapitalIncrease.get().note == f"增资：{PUNCT}"
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    for shown in (edited, f"录入错误：{PUNCT}", f"退库：{PUNCT}", f"重复登记：{PUNCT}",
                  f"增资：{PUNCT}"):
        assert shown in page, shown


def test_the_ledger_export_gives_back_the_names_as_typed(app, client, auth, world):
    with app.app_context():
        make_project(TaskForce.get_by_id(world), NAME, investor=f"投资方（{WIDE}）",
                     next_step=NOTE)
    auth.login("mia")
    response = client.get("/projects/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    header = next(r for r in rows if r and "项目名称" in r)
    data = [r for r in rows[rows.index(header) + 1:] if r and NAME in r]
    assert len(data) == 1
    line = dict(zip(header, data[0]))
    assert (line["项目名称"], line["投资方"], line["下一步工作"]) == (NAME, f"投资方（{WIDE}）", NOTE)


def test_task_force_and_target_reason_through_the_pages_and_the_api(app, client, auth, world):
    auth.login("boss")
    name = f"专班（{WIDE}）：化工，新材料"
    response = client.post("/taskforces/new", data={"code": "ＮＥＷ１", "name": name,
                                                     "kind": "6", "active": "y",
                                                     "leader": "王五（组长）"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/NEW1")
    twin = client.post("/taskforces/new", data={"code": "X2", "name": "专班(ABC123):化工,新材料",
                                                "kind": "6", "active": "y"})
    assert twin.status_code == 200 and f"专班名称「{name}」已存在。" in twin.get_data(as_text=True)
    year = clock.today().year
    _ok(client.post(f"/targets/{year}/team/NEW1", data={
        "packaged_value": "", "negotiations": "20", "signed_value": "",
        "funds_received": "", "reason": f"市政府下达：{PUNCT}\n{WIDE}"}))
    with app.app_context():
        team = TaskForce.get(TaskForce.code == "NEW1")
        assert (team.name, team.leader) == (name, "王五（组长）")
        assert TaskForceTarget.get().reason == f"市政府下达：{PUNCT}\n{WIDE}"
        assert TaskForce.select().count() == 2
    data = client.get(f"/api/v1/progress?year={year}&as_of={clock.today().isoformat()}")
    assert data.status_code == 200, data.get_data(as_text=True)
    assert data.get_json()["task_forces"]["NEW1"]["name"] == name


def test_commands_keep_display_names_and_labels_and_fold_user_names(app, runner):
    with app.app_context():
        make_user("root", role="admin")  # an edit keeps one active admin
    result = runner.invoke(args=["create-user", "ｚｈａｏ", "--name", f" 赵六（{WIDE}）：招商\u200b ",
                                 "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["api-token", "create", "zhao", "--name", f"大屏（{PUNCT}）"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert User.get(User.username == "zhao").display_name == f"赵六（{WIDE}）：招商"
    # The user named the full-width way is the same user (a user name is an identifier).
    result = runner.invoke(args=["users", "edit", "ｚｈａｏ", "--name", f"赵六，{PUNCT}"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert User.get(User.username == "zhao").display_name == f"赵六，{PUNCT}"
        assert [t.name for t in ApiToken.select()] == [f"大屏（{PUNCT}）"]
