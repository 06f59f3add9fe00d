"""Task-force pages: list, detail (funnel, members, counties) and bureau-only create/edit."""
import datetime
import json

import pytest

from tracker.domain import pipeline
from tracker.models import AuditLog, Project, TaskForce, TaskForceCounty, User
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.taskforces import teams as service
from tests.factories import make_county, make_task_force, make_user

project_service = backfill_ledger(ledger_projects)


def _project(team, name, planned, stage=pipeline.RESERVE, **kw):
    if pipeline.rank(stage) is not None and pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
        kw.setdefault("contract_value", planned)
    return project_service.create_project(None, task_force=team, name=name, investor="某集团",
                                          planned_investment=planned, stage=stage,
                                          on=datetime.date(2026, 3, 1), **kw)


@pytest.fixture
def setup(app):
    with app.app_context():
        county = make_county("XF", "新抚区")
        team = make_task_force("JXHG", "精细化工专班", lead_department="市工信局", leader="张三")
        other = make_task_force("GDZB", "高端装备专班", kind="6", industry="高端装备")
        TaskForceCounty.create(task_force=team, county=county)
        make_user("bureau", role="bureau")
        make_user("lead1", role="lead", task_forces=[team], display_name="李组长")
        make_user("member1", role="member", task_forces=[team])
        make_user("admin", role="admin")
        _project(team, "乙烯下游新材料项目", "250000", pipeline.SIGNED)
        _project(team, "精细化学品项目", "12000.50", pipeline.NEGOTIATING)
        _project(team, "储备项目", "8000")
        return {"team_id": team.id, "other_id": other.id, "county_id": county.id}


def test_list_shows_task_forces_with_stage_counts(client, auth, setup):
    auth.login("member1")
    html = client.get("/taskforces/").get_data(as_text=True)
    assert "精细化工专班" in html and "高端装备专班" in html
    assert "市工信局" in html and "张三" in html
    # The member is not bureau: no create button.
    assert "/taskforces/new" not in html


def test_list_counts_by_stage(app, setup):
    with app.app_context():
        rows = {row.team.code: row for row in service.overview()}
    assert rows["JXHG"].by_stage == {pipeline.SIGNED: 1, pipeline.NEGOTIATING: 1,
                                     pipeline.RESERVE: 1}
    assert rows["JXHG"].total == 3
    assert rows["GDZB"].total == 0


def test_detail_shows_members_counties_funnel_and_projects(app, client, auth, setup):
    auth.login("member1")
    response = client.get("/taskforces/JXHG")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "李组长" in html and "专班负责人" in html
    assert "新抚区" in html
    assert "乙烯下游新材料项目" in html
    assert "250,000.00" in html  # planned investment of the signed step
    assert 'class="funnel"' in html
    with app.app_context():
        project = Project.get(Project.name == "乙烯下游新材料项目")
    assert f'href="/projects/{project.id}"' in html
    assert f"/projects/?tf={setup['team_id']}" in html  # filtered ledger link


def test_funnel_counts_current_and_reached(app, setup):
    with app.app_context():
        steps = {s.stage: s for s in service.funnel(TaskForce.get_by_id(setup["team_id"]))}
    assert steps[pipeline.SIGNED].count == 1
    assert str(steps[pipeline.SIGNED].planned) == "250000.00"
    assert str(steps[pipeline.NEGOTIATING].planned) == "12000.50"
    # The signed project skipped past 策划包装 and 洽谈: it reached them too.
    assert steps[pipeline.PACKAGED].reached == 2
    assert steps[pipeline.NEGOTIATING].reached == 2
    assert steps[pipeline.SIGNED].reached == 1
    assert steps[pipeline.RESERVE].reached == 3
    assert steps[pipeline.RESERVE].share == 100.0


def test_detail_unknown_code_is_404(client, auth, setup):
    auth.login("member1")
    assert client.get("/taskforces/NOPE").status_code == 404


def test_anonymous_is_sent_to_login(client, setup):
    response = client.get("/taskforces/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["member1", "lead1"])
def test_non_bureau_cannot_create_or_edit(app, client, auth, setup, username):
    auth.login(username)
    assert client.get("/taskforces/new").status_code == 403
    assert client.post("/taskforces/new", data={"code": "X", "name": "X"}).status_code == 403
    assert client.get("/taskforces/JXHG/edit").status_code == 403
    response = client.post("/taskforces/JXHG/edit", data={"code": "JXHG", "name": "改名"})
    assert response.status_code == 403
    with app.app_context():
        assert TaskForce.select().count() == 2
        assert TaskForce.get_by_id(setup["team_id"]).name == "精细化工专班"


@pytest.mark.parametrize("username", ["bureau", "admin"])
def test_bureau_creates_task_force_with_counties_and_members(app, client, auth, setup, username):
    auth.login(username)
    with app.app_context():
        member_id = make_user("newbie", role="member").id
    assert client.get("/taskforces/new").status_code == 200
    response = client.post("/taskforces/new", data={
        "code": "FSSH", "name": "抚顺石化专班", "kind": "N", "industry": "石油化工",
        "lead_department": "抚顺石化公司", "leader": "王五", "active": "y",
        "counties": [str(setup["county_id"])], "members": [str(member_id)],
    })
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/taskforces/FSSH")
    with app.app_context():
        team = TaskForce.get(TaskForce.code == "FSSH")
        assert (team.name, team.kind, team.active, team.leader) == ("抚顺石化专班", "N", True, "王五")
        assert service.county_ids(team) == [setup["county_id"]]
        assert service.member_ids(team) == [member_id]
        row = AuditLog.get((AuditLog.entity == "task_force") & (AuditLog.entity_id == team.id))
        assert row.action == "create"
        assert json.loads(row.after)["members"] == [member_id]
        assert row.user.username == username


def test_bureau_edits_task_force_and_audit_records_changes(app, client, auth, setup):
    auth.login("bureau")
    page = client.get("/taskforces/JXHG/edit").get_data(as_text=True)
    assert 'value="精细化工专班"' in page
    with app.app_context():
        lead = User.get(User.username == "lead1")
    response = client.post("/taskforces/JXHG/edit", data={
        "code": "JXHG", "name": "精细化工产业专班", "kind": "6", "industry": "精细化工",
        "lead_department": "市发改委", "leader": "张三",
        # active unchecked -> deactivated; counties cleared; only the lead stays
        "members": [str(lead.id)],
    })
    assert response.status_code == 302
    with app.app_context():
        team = TaskForce.get_by_id(setup["team_id"])
        assert team.name == "精细化工产业专班"
        assert team.lead_department == "市发改委"
        assert team.active is False
        assert service.county_ids(team) == []
        assert service.member_ids(team) == [lead.id]
        row = AuditLog.get((AuditLog.entity == "task_force") & (AuditLog.action == "update"))
        before, after = json.loads(row.before), json.loads(row.after)
        assert before["name"] == "精细化工专班" and after["name"] == "精细化工产业专班"
        assert after["counties"] == [] and before["counties"] == [setup["county_id"]]
        assert "leader" not in after  # unchanged keys are not recorded


def test_saving_unchanged_form_writes_no_audit_row(app, client, auth, setup):
    auth.login("bureau")
    with app.app_context():
        team = TaskForce.get_by_id(setup["team_id"])
        data = {"code": team.code, "name": team.name, "kind": team.kind,
                "industry": team.industry, "lead_department": team.lead_department,
                "leader": team.leader, "active": "y",
                "counties": [str(c) for c in service.county_ids(team)],
                "members": [str(m) for m in service.member_ids(team)]}
    assert client.post("/taskforces/JXHG/edit", data=data).status_code == 302
    with app.app_context():
        assert AuditLog.select().where(AuditLog.entity == "task_force").count() == 0


BAD_INPUT = [
    ({"code": "", "name": "新专班"}, "请填写专班编码"),
    ({"code": "NEW1", "name": ""}, "请填写专班名称"),
    ({"code": "JXHG", "name": "另一个"}, "已被使用"),
    ({"code": "ok1", "name": "高端装备专班"}, "已存在"),
    ({"code": "含中文", "name": "新专班"}, "编码只能包含"),
    ({"code": "new", "name": "新专班"}, "保留字"),
    ({"code": "X" * 33, "name": "新专班"}, "最多 32 个字符"),
    ({"code": "X1", "name": "新专班", "kind": "7"}, "请选择有效的专班类别"),
    ({"code": "X1", "name": "新专班", "counties": ["999999"]}, "所选区县不存在"),
    ({"code": "X1", "name": "新专班", "counties": ["abc"]}, "区县选择无效"),
    ({"code": "X1", "name": "新专班", "members": ["999999"]}, "所选用户不存在"),
]


@pytest.mark.parametrize("data,message", BAD_INPUT)
def test_create_rejects_bad_input_with_message(app, client, auth, setup, data, message):
    auth.login("bureau")
    data = dict({"kind": "6"}, **data)
    response = client.post("/taskforces/new", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="error"' in html
    with app.app_context():
        assert TaskForce.select().count() == 2
        assert AuditLog.select().where(AuditLog.entity == "task_force").count() == 0


def test_edit_rejects_taking_another_code(app, client, auth, setup):
    auth.login("bureau")
    response = client.post("/taskforces/JXHG/edit", data={
        "code": "GDZB", "name": "精细化工专班", "kind": "6"})
    assert response.status_code == 200
    assert "已被使用" in response.get_data(as_text=True)
    with app.app_context():
        assert TaskForce.get_by_id(setup["team_id"]).code == "JXHG"


def test_service_rejects_duplicate_without_writing(app, setup):
    with app.app_context():
        with pytest.raises(service.DuplicateTaskForce) as info:
            service.save_task_force(None, {"code": "GDZB", "name": "新名字", "kind": "6"})
        assert info.value.field == "code"
        assert TaskForce.select().count() == 2


def test_edit_unknown_code_is_404(client, auth, setup):
    auth.login("bureau")
    assert client.get("/taskforces/NOPE/edit").status_code == 404


def test_nav_has_task_forces_entry(client, auth, setup):
    auth.login("member1")
    html = client.get("/taskforces/").get_data(as_text=True)
    assert 'href="/taskforces/"' in html


def test_text_is_normalised_bounded_and_nul_refused(app, client, auth, setup):
    auth.login("bureau")
    base = {"code": "ＮＥＷ１", "kind": "6", "active": "y"}
    response = client.post("/taskforces/new", data=dict(base, name="新\x00专班"))
    assert response.status_code == 200
    assert "专班名称包含无效字符（NUL）" in response.get_data(as_text=True)
    html = client.post("/taskforces/new", data=dict(base, name="长" * 101)).get_data(as_text=True)
    assert "专班名称不能超过 100 个字" in html
    html = client.post("/taskforces/new", data=dict(base, name="新专班", leader="张" * 65)) \
        .get_data(as_text=True)
    assert "专班负责人不能超过 64 个字" in html
    response = client.post("/taskforces/new", data=dict(
        base, name=" 新\u200b专班　 ", leader="  王\u200e五 "))
    assert response.status_code == 302 and response.headers["Location"].endswith("/NEW1")
    with app.app_context():
        team = TaskForce.get(TaskForce.code == "NEW1")
        assert (team.name, team.leader) == ("新专班", "王五")
        assert TaskForce.select().count() == 3


def test_duplicate_name_after_normalising_is_refused(app, client, auth, setup):
    auth.login("bureau")
    response = client.post("/taskforces/new", data={
        "code": "X2", "name": "高端装备专班\u200b ", "kind": "6"})
    assert response.status_code == 200
    assert "专班名称「高端装备专班」已存在。" in response.get_data(as_text=True)


def test_edit_writes_only_changed_columns(app, setup):
    with app.app_context():
        service.save_task_force(None, {"leader": "赵六"}, team_id=setup["team_id"])
        team = TaskForce.get_by_id(setup["team_id"])
        assert (team.leader, team.name, team.lead_department) == ("赵六", "精细化工专班",
                                                                   "市工信局")
        row = AuditLog.get((AuditLog.entity == "task_force") & (AuditLog.action == "update"))
        assert json.loads(row.after) == {"leader": "赵六"}
        assert service.county_ids(team) == [setup["county_id"]]    # links not given: kept


def test_lookups_raise_not_found(app, setup):
    from tracker.domain.errors import NotFound
    from tracker.services.targets import counties as county_targets
    with app.app_context():
        assert service.get_task_force("JXHG").id == setup["team_id"]
        assert county_targets.get_county("XF").id == setup["county_id"]
        with pytest.raises(NotFound):
            service.get_task_force("NOPE")
        with pytest.raises(NotFound):
            county_targets.get_county("NOPE")
