"""更正申请 through the pages (issue 19): a member's stage dated into a closed quarter asks for
a reason next to its field, then becomes a request shown on the project page; the bureau's
待审核 list opens it, 通过 writes it once, 驳回 needs a reason the member then reads; the
bureau's own write into a closed quarter asks for a 补录原因."""
import datetime

import pytest

from tests.conftest import DECEMBER_8
from tests.factories import make_project, make_task_force, make_user
from tracker.domain import pipeline
from tracker.models import CorrectionRequest, FundReceipt, Project

TODAY = DECEMBER_8

pytestmark = pytest.mark.usefixtures("december_8")


@pytest.fixture
def project(app):
    with app.app_context():
        team = make_task_force("JXHG")
        make_user("member", task_forces=[team])
        make_user("bureau", role="bureau")
        make_user("other", task_forces=[make_task_force("XCL")])
        return make_project(team, "精细化工一期", on=datetime.date(2026, 2, 10), stage=pipeline.SIGNED,
                            contract_value="2900").id


def _stage(client, project_id, **extra):
    data = {"stage-expected_stage": "signed", "stage-stage": "started", "stage-on": "2026-09-20",
            "stage-note": ""}
    data.update({f"stage-{k}": v for k, v in extra.items()})
    return client.post(f"/projects/{project_id}/stage", data=data)


def test_a_member_files_a_request_and_the_bureau_approves_it(app, client, auth, project):
    auth.login("member")
    asked = _stage(client, project)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="stage-closed_reason-error"' in body and "更正申请" in body
    filed = _stage(client, project, closed_reason="九月已开工，漏报")
    assert filed.status_code == 302
    page = client.get(filed.location).get_data(as_text=True)
    assert "已提交更正申请" in page and "待审核" in page and "签约 → 开工（2026-09-20）" in page
    with app.app_context():
        assert Project.get_by_id(project).stage == pipeline.SIGNED
        request_id = CorrectionRequest.select().get().id
    assert client.post(f"/corrections/{request_id}/approve").status_code == 403
    auth.logout()
    auth.login("bureau")
    listing = client.get("/corrections/").get_data(as_text=True)
    assert f"/corrections/{request_id}" in listing and "九月" not in listing   # the reason is on its page
    shown = client.get(f"/corrections/{request_id}").get_data(as_text=True)
    assert "九月已开工，漏报" in shown and "通过并写入台账" in shown
    approved = client.post(f"/corrections/{request_id}/approve")
    assert approved.status_code == 302
    assert "已通过" in client.get(approved.location).get_data(as_text=True)
    again = client.post(f"/corrections/{request_id}/approve").get_data(as_text=True)
    assert "该更正申请的状态已是「已通过」，不能再处理" in again
    with app.app_context():
        row = Project.get_by_id(project)
        assert row.stage == pipeline.STARTED and row.started_on == datetime.date(2026, 9, 20)


def test_a_rejection_needs_a_reason_and_the_member_reads_it(app, client, auth, project):
    auth.login("member")
    client.post(f"/projects/{project}/funds", data={
        "funds-received_on": "2026-08-01", "funds-currency": "CNY", "funds-amount": "500",
        "funds-source_layer": "省外", "funds-closed_reason": "八月到账漏登"})
    with app.app_context():
        request_id = CorrectionRequest.select().get().id
    auth.logout()
    auth.login("bureau")
    empty = client.post(f"/corrections/{request_id}/reject", data={"decision_note": " "})
    assert empty.status_code == 200 and "请填写驳回原因" in empty.get_data(as_text=True)
    assert client.post(f"/corrections/{request_id}/reject",
                       data={"decision_note": "请附银行回单"}).status_code == 302
    auth.logout()
    auth.login("member")
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "已驳回" in page and "驳回原因：请附银行回单" in page
    with app.app_context():
        assert FundReceipt.select().count() == 0


def test_the_bureau_writes_a_closed_quarter_with_a_reason(app, client, auth, project):
    auth.login("bureau")
    asked = _stage(client, project)
    assert "请填写补录原因" in asked.get_data(as_text=True)
    done = _stage(client, project, closed_reason="审计补录")
    assert done.status_code == 302
    with app.app_context():
        assert Project.get_by_id(project).stage == pipeline.STARTED
        assert CorrectionRequest.select().count() == 0


def test_another_team_cannot_read_the_request(app, client, auth, project):
    auth.login("member")
    _stage(client, project, closed_reason="漏报")
    with app.app_context():
        request_id = CorrectionRequest.select().get().id
    auth.logout()
    auth.login("other")
    assert client.get(f"/corrections/{request_id}").status_code == 403
    assert f"/corrections/{request_id}" not in client.get("/corrections/?state=all").get_data(as_text=True)
