"""更正申请 (issue 19, Closed periods): a member's write into a closed quarter changes nothing
until the bureau approves it; approval settles the figures exactly (compared with a full
recomputation) and leaves the frozen snapshot alone; a rejection leaves only its audit row;
two reviewers approving at once apply it once. Every backend."""
import datetime

import pytest

from tests.conftest import DECEMBER_8
from tests.factories import make_county, make_project, make_task_force, make_user
from tests.races import run_together
from tracker.domain import pipeline
from tracker.domain.errors import ValidationError
from tracker.models import AuditLog, CorrectionRequest, FundReceipt, Project, StageEvent
from tracker.services.figures import monthly
from tracker.services.ledger import corrections
from tracker.services.reviews import requests
from tracker.services.ledger import projects as P
from tracker.services.progress import snapshots

TODAY = DECEMBER_8
CLOSED_DAY = datetime.date(2026, 9, 20)
OPEN_DAY = datetime.date(2026, 11, 2)

pytestmark = pytest.mark.usefixtures("december_8")


@pytest.fixture
def people(db):
    team = make_task_force("JXHG")
    return {"team": team, "member": make_user("member", task_forces=[team]),
            "lead": make_user("lead", role="lead", task_forces=[team]),
            "bureau": make_user("bureau", role="bureau"), "bureau2": make_user("bureau2", role="bureau")}


def _signed(people, on=datetime.date(2026, 2, 10), value="2900"):
    return make_project(people["team"], "精细化工一期", on=on, stage=pipeline.SIGNED, contract_value=value)


def _state(project_id):
    row = Project.get_by_id(project_id)
    return (row.stage, row.contract_value, row.version, StageEvent.select().where(
        StageEvent.project == project_id).count(), FundReceipt.select().where(
        FundReceipt.project == project_id).count(), sorted(monthly.stored().items()))


def _no_drift():
    assert monthly.check().rows == []


def test_a_member_must_give_a_reason_and_then_files_a_request_that_changes_nothing(people):
    p = _signed(people)
    before = _state(p.id)
    with pytest.raises(ValidationError) as refused:
        P.change_stage(people["member"], p.id, pipeline.STARTED, on=CLOSED_DAY,
                       expected_stage=pipeline.SIGNED)
    assert "更正申请" in refused.value.errors["closed_reason"]
    filed = P.change_stage(people["member"], p.id, pipeline.STARTED, on=CLOSED_DAY,
                           expected_stage=pipeline.SIGNED, closed_reason="九月开工漏报，附开工报告")
    assert requests.is_request(filed) and filed.pending and filed.closed_on == CLOSED_DAY
    assert "签约 → 开工（2026-09-20）" in filed.summary
    assert _state(p.id) == before
    assert [a.action for a in AuditLog.select().where(AuditLog.entity == "correction_request")] == ["create"]


def test_an_open_quarter_write_is_not_a_request(people):
    p = _signed(people)
    event = P.change_stage(people["member"], p.id, pipeline.STARTED, on=OPEN_DAY,
                           expected_stage=pipeline.SIGNED)
    assert isinstance(event, StageEvent)
    assert CorrectionRequest.select().count() == 0


def test_approval_applies_once_settles_the_figures_and_keeps_the_snapshot(people):
    p = _signed(people)
    snapshots.freeze_quarter(2026, 1)
    frozen = {k: s.cumulative_actual for k, s in snapshots.snapshots(2026).items()}
    assert frozen
    filed = P.update_project(people["member"], p.id, contract_value="29000", change_kind="correction",
                             change_reason="多录一个零的反面：少录了一个零", closed_reason="合同原件为2.9亿")
    assert requests.is_request(filed)
    assert Project.get_by_id(p.id).contract_value == 2900
    approved = requests.approve(people["bureau"], filed.id)
    assert approved.state == CorrectionRequest.APPROVED and approved.decided_by_id == people["bureau"].id
    assert Project.get_by_id(p.id).contract_value == 29000
    _no_drift()
    assert {k: s.cumulative_actual for k, s in snapshots.snapshots(2026).items()} == frozen
    update = AuditLog.select().where((AuditLog.entity == "project") & (AuditLog.action == "update")).get()
    assert f"更正申请 #{filed.id}" in update.after
    with pytest.raises(ValidationError, match="「已通过」"):
        requests.approve(people["bureau"], filed.id)


def test_a_rejected_request_leaves_only_its_audit_rows(people):
    p = _signed(people)
    filed = P.record_funds(people["lead"], p.id, received_on=CLOSED_DAY, amount="500", source_layer="省外",
                           closed_reason="三季度到账漏登")
    before = _state(p.id)
    with pytest.raises(ValidationError) as refused:
        requests.reject(people["bureau"], filed.id, "")
    assert "decision_note" in refused.value.errors
    with pytest.raises(ValidationError):
        requests.reject(people["member"], filed.id, "不是审核人")
    rejected = requests.reject(people["bureau"], filed.id, "凭证不全，请补充银行回单")
    assert rejected.state == CorrectionRequest.REJECTED and rejected.decision_note.startswith("凭证不全")
    assert _state(p.id) == before
    assert [a.action for a in AuditLog.select().where(AuditLog.entity == "correction_request")
            .order_by(AuditLog.id)] == ["create", "reject"]


def test_a_change_from_an_open_date_is_direct_a_correction_of_a_closed_value_is_not(people):
    p = _signed(people)
    changed = P.update_project(people["member"], p.id, contract_value="3100", change_kind="change",
                               change_on=OPEN_DAY, change_reason="补充协议")
    assert not requests.is_request(changed) and Project.get_by_id(p.id).contract_value == 3100
    assert CorrectionRequest.select().count() == 0
    # the value counted on the 签约 date is the one before the 变更: a 更正 no longer touches it
    corrected = P.update_project(people["member"], p.id, contract_value="3200", change_kind="correction",
                                 change_reason="补充协议金额录错")
    assert not requests.is_request(corrected)
    # a move to another task force moves every figure the project counted, Q1's included
    with pytest.raises(ValidationError) as refused:
        P.update_project(people["member"], p.id, task_force=make_task_force("XCL").id)
    assert "更正申请" in refused.value.errors["closed_reason"]
    _no_drift()


def test_a_county_move_is_a_request_only_when_it_moves_counted_funds(people):
    east, west = make_county("C1", "东洲区"), make_county("C2", "抚顺县")
    p = _signed(people)
    moved = P.update_project(people["member"], p.id, county=east.id)     # no receipts: nothing moves
    assert not requests.is_request(moved)
    P.record_funds(None, p.id, received_on=CLOSED_DAY, amount="300", source_layer="省外")
    filed = P.update_project(people["member"], p.id, county=west.id, closed_reason="区县填错")
    assert requests.is_request(filed) and filed.summary == "区县/开发区：东洲区 → 抚顺县"
    requests.approve(people["bureau"], filed.id)
    assert Project.get_by_id(p.id).county_id == west.id
    _no_drift()


def test_the_bureau_writes_a_closed_quarter_directly_with_a_reason(people):
    p = _signed(people)
    with pytest.raises(ValidationError) as refused:
        P.record_funds(people["bureau"], p.id, received_on=CLOSED_DAY, amount="800", source_layer="省外")
    assert "快照保留原数" in refused.value.errors["closed_reason"]
    receipt = P.record_funds(people["bureau"], p.id, received_on=CLOSED_DAY, amount="800",
                             source_layer="省外", closed_reason="市审计反馈补录")
    assert isinstance(receipt, FundReceipt)
    audit_row = AuditLog.select().where(AuditLog.entity == "fund_receipt").get()
    assert "市审计反馈补录" in audit_row.after
    _no_drift()


def test_a_member_voids_a_closed_receipt_through_a_request(people):
    p = _signed(people)
    receipt = P.record_funds(None, p.id, received_on=CLOSED_DAY, amount="600", source_layer="省外")
    filed = corrections.void(people["member"], p.id, "funds", receipt.id, "重复登记")
    assert requests.is_request(filed) and FundReceipt.get_by_id(receipt.id).voided_at is None
    requests.approve(people["bureau"], filed.id)
    assert FundReceipt.get_by_id(receipt.id).voided_at is not None
    _no_drift()


def test_a_member_creates_a_project_dated_into_a_closed_quarter_by_request(people):
    filed = P.create_project(people["member"], task_force=people["team"], name="补录项目", investor="某集团",
                             planned_investment="50000", on=CLOSED_DAY, stage=pipeline.PACKAGED,
                             closed_reason="三季度已包装，漏录")
    assert requests.is_request(filed) and filed.project_id is None
    assert Project.select().count() == 0
    approved = requests.approve(people["bureau"], filed.id)
    project = Project.get(Project.name == "补录项目")
    assert approved.result == f"项目 #{project.id}" and project.packaged_on == CLOSED_DAY
    _no_drift()


def test_approval_refuses_when_the_project_moved_on(people):
    p = _signed(people)
    filed = P.update_project(people["member"], p.id, contract_value="29000", change_kind="correction",
                             change_reason="录错", closed_reason="合同为2.9亿")
    P.update_project(people["bureau"], p.id, contract_value="3000", change_kind="correction",
                     change_reason="核对合同", closed_reason="核对")
    with pytest.raises(ValidationError, match="已被修改"):
        requests.approve(people["bureau"], filed.id)
    assert CorrectionRequest.get_by_id(filed.id).pending
    assert Project.get_by_id(p.id).contract_value == 3000


def test_only_the_requester_withdraws(people):
    p = _signed(people)
    filed = P.add_capital_increase(people["member"], p.id, on=CLOSED_DAY, amount="100",
                                   closed_reason="九月增资漏登")
    with pytest.raises(ValidationError, match="申请人"):
        requests.withdraw(people["lead"], filed.id)
    assert requests.withdraw(people["member"], filed.id).state == CorrectionRequest.WITHDRAWN


def test_two_reviewers_approving_at_once_apply_it_once(app, people):
    for n in range(3):
        p = make_project(people["team"], f"并发{n}", on=datetime.date(2026, 2, 1), stage=pipeline.SIGNED,
                         contract_value="1000")
        filed = P.record_funds(people["member"], p.id, received_on=CLOSED_DAY, amount="250",
                               source_layer="省外", closed_reason="漏登")
        outcomes = run_together(app, lambda: requests.approve(people["bureau"], filed.id),
                                lambda: requests.approve(people["bureau2"], filed.id))
        wins = [r for r, e in outcomes if e is None]
        losses = [e for r, e in outcomes if e is not None]
        assert len(wins) == 1 and len(losses) == 1 and isinstance(losses[0], ValidationError)
        assert FundReceipt.select().where(FundReceipt.project == p.id).count() == 1
        assert AuditLog.select().where((AuditLog.entity == "correction_request")
                                       & (AuditLog.entity_id == filed.id)
                                       & (AuditLog.action == "approve")).count() == 1
    _no_drift()
