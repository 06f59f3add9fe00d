"""Project ledger service: creation, edits, stage moves, funds and capital increases."""
import datetime
import json
from decimal import Decimal

import pytest

from tests.factories import make_county, make_project, make_task_force, make_user
from tracker import clock
from tracker.domain import pipeline
from tracker.models import (
    AuditLog, CapitalIncrease, CorrectionRequest, FundReceipt, Project, StageEvent,
)
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.domain.errors import NotFound
from tracker.domain.errors import ValidationError

projects = backfill_ledger(ledger_projects)


def days_ago(n):
    return clock.today() - datetime.timedelta(days=n)


def counts():
    return tuple(m.select().count() for m in
                 (Project, StageEvent, FundReceipt, CapitalIncrease, AuditLog))


def reload(project):
    return Project.get_by_id(project.id)


@pytest.fixture
def user(db, team):
    return make_user("alice", "member", task_forces=[team])


@pytest.fixture
def bureau_user(db):
    """Writes into closed quarters (with the test ledger's 补录原因): the rules under test here
    are not the closed-period rule (tests/services/test_correction_requests.py)."""
    return make_user("bureau_writer", "bureau")


# --- create ---------------------------------------------------------------

def test_create_reserve_project(team, user):
    county = make_county()
    p = projects.create_project(user, task_force=team, name=" 新材料基地 ", investor="某集团",
                                planned_investment="12345.678", county=county.id,
                                tags="央企，专精特新,央企", investor_region="长三角")
    p = reload(p)
    assert p.name == "新材料基地"
    assert p.planned_investment == Decimal("12345.68")
    assert p.stage == pipeline.RESERVE and p.county_id == county.id
    assert p.tags == "央企,专精特新"
    assert all(v is None for v in p.first_reached().values())
    assert p.last_progress_on == clock.today()
    event = StageEvent.get(StageEvent.project == p)
    assert event.stage == pipeline.RESERVE and event.user_id == user.id
    log = AuditLog.get(AuditLog.entity == "project")
    assert log.action == "create" and log.entity_id == p.id and log.user_id == user.id


def test_create_at_later_stage_sets_every_skipped_date(team, user):
    on = days_ago(30)
    p = projects.create_project(user, task_force=team, name="P", planned_investment=500,
                                stage=pipeline.STARTED, on=on, contract_value="800",
                                signing_grade="contract")
    p = reload(p)
    reached = p.first_reached()
    for stage in (pipeline.PACKAGED, pipeline.NEGOTIATING, pipeline.SIGNED, pipeline.STARTED):
        assert reached[stage] == on
    assert reached[pipeline.PRODUCING] is None and reached[pipeline.AT_CAPACITY] is None
    assert p.contract_value == Decimal("800.00") and p.signing_grade == "contract"
    assert p.last_progress_on == on
    assert StageEvent.get(StageEvent.project == p).occurred_on == on


@pytest.mark.parametrize("kwargs, field", [
    ({"planned_investment": "-5"}, "planned_investment"),
    ({"planned_investment": "abc"}, "planned_investment"),
    ({"planned_investment": "1e30"}, "planned_investment"),
    ({"planned_investment": "NaN"}, "planned_investment"),
    ({"planned_investment": None}, "planned_investment"),
    ({"name": "  "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"on": datetime.date(1900, 1, 1)}, "on"),
    ({"on": "2999-01-01"}, "on"),
    ({"on": "not a date"}, "on"),
    ({"stage": pipeline.SIGNED}, "contract_value"),
    ({"stage": pipeline.DROPPED}, "stage"),
    ({"stage": "bogus"}, "stage"),
    ({"signing_grade": "maybe"}, "signing_grade"),
    ({"capital_type": "alien"}, "capital_type"),
    ({"county": 999999}, "county"),
    ({"expected_sign_date": datetime.date(1900, 1, 1)}, "expected_sign_date"),
])
def test_create_rejects_bad_input_and_writes_nothing(team, user, kwargs, field):
    args = dict(task_force=team, name="P", planned_investment="10")
    args.update(kwargs)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        projects.create_project(user, **args)
    assert field in exc.value.errors
    assert exc.value.errors[field]
    assert counts() == before


def test_create_rejects_unknown_and_inactive_task_force(db, user):
    dead = make_task_force("OLD", active=False)
    before = counts()
    for value in (999999, "abc", None, dead):
        with pytest.raises(ValidationError) as exc:
            projects.create_project(user, task_force=value, name="P", planned_investment=1)
        assert "task_force" in exc.value.errors
    assert counts() == before


def test_duplicate_project_is_rejected(team, user):
    make_project(team, "P", investor="甲公司")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        projects.create_project(user, task_force=team, name="P", investor="甲公司",
                                planned_investment=1)
    assert "name" in exc.value.errors
    assert counts() == before
    # same name, other investor or other task force is fine
    make_project(team, "P", investor="乙公司")
    make_project(make_task_force("TF2"), "P", investor="甲公司")


# --- update ---------------------------------------------------------------

def test_update_audits_only_changed_fields_and_keeps_dates(team, user):
    p = make_project(team, "P", stage=pipeline.NEGOTIATING, on=days_ago(10))
    dates = reload(p).first_reached()
    projects.update_project(user, p, name="P2", planned_investment="1000", contact="张三")
    p = reload(p)
    assert p.name == "P2" and p.contact == "张三"
    assert p.first_reached() == dates and p.stage == pipeline.NEGOTIATING
    log = AuditLog.select().where(AuditLog.action == "update").get()
    assert set(json.loads(log.after)) == {"name", "contact"}
    assert json.loads(log.before)["name"] == "P"


def test_update_without_changes_writes_no_audit(team, user):
    p = make_project(team, "P")
    before = counts()
    projects.update_project(user, p, name="P", planned_investment="1000.00")
    assert counts() == before


def test_update_rejects_bad_input_and_duplicates(team, user):
    make_project(team, "Other")
    p = make_project(team, "P", stage=pipeline.SIGNED, contract_value=100)
    before = counts()
    for kwargs, field in [({"planned_investment": "-1"}, "planned_investment"),
                          ({"name": "Other"}, "name"),
                          ({"contract_value": None}, "contract_value"),
                          ({"task_force": 999999}, "task_force")]:
        with pytest.raises(ValidationError) as exc:
            projects.update_project(user, p, **kwargs)
        assert field in exc.value.errors
    assert counts() == before
    assert reload(p).name == "P"


# --- stage changes --------------------------------------------------------

def test_advance_skipping_stages_sets_all_skipped_dates(team, user):
    p = make_project(team, "P", on=days_ago(100))
    on = days_ago(50)
    event = projects.change_stage(user, p, pipeline.SIGNED, on=on, contract_value="3000",
                                  signing_grade="framework", note="签约仪式")
    assert event.from_stage == pipeline.RESERVE and event.stage == pipeline.SIGNED
    p = reload(p)
    assert p.stage == pipeline.SIGNED
    assert p.packaged_on == p.negotiating_on == p.signed_on == on
    assert p.started_on is None
    assert p.contract_value == Decimal("3000.00") and p.signing_grade == "framework"
    assert p.last_progress_on == days_ago(50)
    log = AuditLog.get(AuditLog.action == "stage")
    assert json.loads(log.after)["stage"] == pipeline.SIGNED


def test_undo_and_redo_never_move_dates_later(team, bureau_user):
    user = bureau_user
    p = make_project(team, "P", on=days_ago(100))
    projects.change_stage(user, p, pipeline.NEGOTIATING, on=days_ago(90))
    projects.change_stage(user, p, pipeline.PACKAGED, on=days_ago(80), note="对方暂缓")
    projects.change_stage(user, p, pipeline.NEGOTIATING, on=days_ago(70))
    p = reload(p)
    assert p.stage == pipeline.NEGOTIATING
    assert p.packaged_on == days_ago(90) and p.negotiating_on == days_ago(90)
    assert p.last_progress_on == days_ago(70)


def test_back_dated_event_moves_date_earlier_but_not_last_progress(team, user):
    p = make_project(team, "P", on=days_ago(100))
    projects.change_stage(user, p, pipeline.NEGOTIATING, on=days_ago(10))
    projects.change_stage(user, p, pipeline.PACKAGED, on=days_ago(5), note="补录")
    projects.change_stage(user, p, pipeline.NEGOTIATING, on=days_ago(40))
    p = reload(p)
    assert p.negotiating_on == days_ago(40) and p.packaged_on == days_ago(40)
    assert p.last_progress_on == days_ago(5)


def test_drop_keeps_dates_and_restore_needs_note(team, user):
    p = make_project(team, "P", stage=pipeline.SIGNED, contract_value=100, on=days_ago(60))
    dates = reload(p).first_reached()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        projects.change_stage(user, p, pipeline.DROPPED, on=days_ago(1), reason="  ")
    assert "reason" in exc.value.errors and counts() == before
    projects.change_stage(user, p, pipeline.DROPPED, on=days_ago(1), reason="企业战略调整")
    p = reload(p)
    assert p.stage == pipeline.DROPPED and p.drop_reason == "企业战略调整"
    assert p.first_reached() == dates
    with pytest.raises(ValidationError) as exc:
        projects.change_stage(user, p, pipeline.SIGNED, on=clock.today())
    assert "note" in exc.value.errors
    projects.change_stage(user, p, pipeline.SIGNED, on=clock.today(), note="重新启动")
    p = reload(p)
    assert p.stage == pipeline.SIGNED and p.drop_reason == ""
    assert p.first_reached() == dates


@pytest.mark.parametrize("stage, kwargs, field", [
    (pipeline.PACKAGED, {"on": datetime.date(1900, 1, 1)}, "on"),
    (pipeline.PACKAGED, {"on": None}, "on"),
    (pipeline.SIGNED, {"contract_value": None}, "contract_value"),
    (pipeline.SIGNED, {"contract_value": "-5"}, "contract_value"),
    (pipeline.SIGNED, {"contract_value": "abc"}, "contract_value"),
    (pipeline.SIGNED, {"contract_value": "1e30"}, "contract_value"),
    (pipeline.SIGNED, {"contract_value": "0"}, "contract_value"),
    (pipeline.SIGNED, {"contract_value": "1", "signing_grade": "x"}, "signing_grade"),
    (pipeline.RESERVE, {}, "note"),            # backwards without a note
    (pipeline.NEGOTIATING, {}, "stage"),       # already there
    ("nowhere", {}, "stage"),
])
def test_change_stage_rejects_bad_input_and_writes_nothing(team, user, stage, kwargs, field):
    p = make_project(team, "P", stage=pipeline.NEGOTIATING, on=days_ago(20))
    args = {"on": clock.today()}
    args.update(kwargs)
    before, dates = counts(), reload(p).first_reached()
    with pytest.raises(ValidationError) as exc:
        projects.change_stage(user, p, stage, **args)
    assert field in exc.value.errors
    assert counts() == before
    p = reload(p)
    assert p.stage == pipeline.NEGOTIATING and p.first_reached() == dates


def test_moving_on_from_signed_reuses_contract_value(team, user):
    p = make_project(team, "P", stage=pipeline.SIGNED, contract_value=100, on=days_ago(20))
    projects.change_stage(user, p, pipeline.STARTED, on=days_ago(2))
    p = reload(p)
    assert p.started_on == days_ago(2) and p.contract_value == Decimal("100.00")


# --- funds and capital increases -----------------------------------------

def test_record_funds_cny_and_usd(team, user):
    p = make_project(team, "P", on=days_ago(200))
    r = projects.record_funds(user, p, received_on=days_ago(3), amount="250.5",
                              source_layer="市外省内", evidence="银行回单")
    assert r.amount == Decimal("250.50") and r.currency == "CNY"
    usd = projects.record_funds(user, p, received_on=days_ago(1), currency="USD",
                                original_amount="100", exchange_rate="7.1234",
                                source_layer="境外")
    usd = FundReceipt.get_by_id(usd.id)
    assert usd.amount == Decimal("712.34") and usd.original_amount == Decimal("100.00")
    assert usd.exchange_rate == Decimal("7.1234")
    assert reload(p).last_progress_on == days_ago(1)
    assert AuditLog.select().where(AuditLog.entity == "fund_receipt").count() == 2


@pytest.mark.parametrize("kwargs, field", [
    ({"amount": "-5"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": "1e30"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": None}, "amount"),
    ({"received_on": datetime.date(1900, 1, 1)}, "received_on"),
    ({"currency": "EUR"}, "currency"),
    ({"source_layer": "火星"}, "source_layer"),
    ({"currency": "USD", "amount": None, "exchange_rate": "7"}, "original_amount"),
    ({"currency": "USD", "amount": None, "original_amount": "10"}, "exchange_rate"),
    ({"currency": "USD", "amount": None, "original_amount": "10",
      "exchange_rate": "-1"}, "exchange_rate"),
    ({"currency": "USD", "amount": None, "original_amount": "99999999",
      "exchange_rate": "999"}, "amount"),
    # issue 23: checked after the conversion (US$100 = 0.01 万美元 × 0.00001 is 0.00 万元)
    ({"currency": "USD", "amount": None, "original_amount": "0.01",
      "exchange_rate": "0.00001"}, "amount"),
])
def test_record_funds_rejects_bad_input(team, user, kwargs, field):
    p = make_project(team, "P")
    args = {"received_on": clock.today(), "amount": "10"}
    args.update(kwargs)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        projects.record_funds(user, p, **args)
    assert field in exc.value.errors
    assert counts() == before


def test_capital_increase_only_for_signed_projects(team, user):
    p = make_project(team, "P", stage=pipeline.NEGOTIATING, on=days_ago(30))
    before = counts()
    with pytest.raises(ValidationError) as exc:
        projects.add_capital_increase(user, p, on=clock.today(), amount=100)
    assert "amount" in exc.value.errors and counts() == before

    projects.change_stage(user, p, pipeline.SIGNED, on=days_ago(20), contract_value=1000)
    for kwargs, field in [({"amount": "-1"}, "amount"), ({"amount": "x"}, "amount"),
                          ({"on": days_ago(21)}, "on"),
                          ({"on": datetime.date(1900, 1, 1)}, "on")]:
        args = {"on": clock.today(), "amount": 100}
        args.update(kwargs)
        before = counts()
        with pytest.raises(ValidationError) as exc:
            projects.add_capital_increase(user, p, **args)
        assert field in exc.value.errors and counts() == before

    inc = projects.add_capital_increase(user, p, on=days_ago(5), amount="200", note="二期")
    assert CapitalIncrease.get_by_id(inc.id).amount == Decimal("200.00")
    p = reload(p)
    assert p.contract_value == Decimal("1000.00")  # the increase counts on its own date
    assert p.last_progress_on == days_ago(5)
    assert AuditLog.select().where(AuditLog.entity == "capital_increase").count() == 1


# --- read side: timeline and totals ----------------------------------------

def test_timeline_merges_events_by_date(team, user):
    from tracker.services.ledger import listing
    p = make_project(team, "P", on=days_ago(30), user=user)
    projects.change_stage(user, p, pipeline.SIGNED, on=days_ago(20), contract_value=100)
    projects.record_funds(user, p, received_on=days_ago(10), amount=40)
    projects.add_capital_increase(user, p, on=days_ago(15), amount=50)
    projects.record_funds(user, p, received_on=days_ago(5), amount=2, source_layer="市外省内")
    kinds = [(item["on"], item["kind"]) for item in project_timeline.timeline(p)]
    assert kinds == [(days_ago(5), "funds"), (days_ago(10), "funds"),
                     (days_ago(15), "increase"), (days_ago(20), "stage"),
                     (days_ago(30), "stage")]
    receipts, totals = project_timeline.funds(p)
    assert len(receipts) == 2 and totals["total"] == Decimal("42.00")
    assert totals["by_layer"] == {"省外": Decimal("40.00"), "市外省内": Decimal("2.00")}
    assert project_timeline.capital_increases(p)[1] == Decimal("50.00")
    summary = listing.totals(listing.filtered({"tf": team.id}))
    assert summary == {"count": 1, "planned": Decimal("1000.00"), "contract": Decimal("100.00")}


# --- corrections: 作废 (void) --------------------------------------------------------

from tracker.models import AmountChange, StaleFlag  # noqa: E402
from tracker.services.ledger import corrections  # noqa: E402
from tracker.services.ledger import timeline as project_timeline  # noqa: E402
from tracker.services.figures import metrics  # noqa: E402

D = datetime.date
QSTART = corrections.closed_quarter_start()   # first day of the current (open) quarter


def funds_at(team, as_of):
    got = metrics.monthly_actuals(as_of.year, as_of, [team.id]).get(team.id)
    return sum(got["funds_received"]) if got else Decimal(0)


def test_voided_receipt_stops_counting_and_stays_struck_through(team, user):
    p = make_project(team, "P", on=QSTART)
    first = projects.record_funds(user, p, received_on=QSTART, amount="300")
    later = clock.today()
    second = projects.record_funds(user, p, received_on=later, amount="200")
    assert funds_at(team, later) == Decimal("500.00")
    before = counts()
    corrections.void(user, p.id, "funds", first.id, reason="  重复登记\u200b ")
    assert counts()[:4] == before[:4]                  # nothing deleted
    assert counts()[4] == before[4] + 1                # one audit row
    for as_of in {QSTART, later}:
        assert funds_at(team, as_of) == (Decimal("200.00") if as_of == later else 0)
    receipt = FundReceipt.get_by_id(first.id)
    assert receipt.voided and receipt.void_reason == "重复登记" and receipt.voided_by_id == user.id
    receipts, totals = project_timeline.funds(p.id)
    assert len(receipts) == 2 and totals["total"] == Decimal("200.00")
    item = next(i for i in project_timeline.timeline(p.id) if i["kind"] == "funds" and i["id"] == first.id)
    assert item["voided"] and item["void_reason"] == "重复登记" and item["voided_by"].id == user.id
    log = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert log.action == "void" and log.entity == "project" and "重复登记" in log.after
    # voiding the latest receipt moves the last progress back
    corrections.void(user, p.id, "funds", second.id, reason="金额有误")
    assert reload(p).last_progress_on == QSTART and funds_at(team, later) == 0


@pytest.mark.parametrize("reason", ["", "  \u200b ", "x" * 501, "a\x00b"])
def test_void_needs_a_reason(team, user, reason):
    p = make_project(team, "P", on=QSTART)
    r = projects.record_funds(user, p, received_on=QSTART, amount="300")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        corrections.void(user, p.id, "funds", r.id, reason=reason)
    assert "reason" in exc.value.errors
    assert counts() == before and not FundReceipt.get_by_id(r.id).voided


def test_void_refuses_unknown_rows_and_voids_once(team, user):
    p = make_project(team, "P", on=QSTART)
    other = make_project(team, "Q", on=QSTART)
    r = projects.record_funds(user, other, received_on=QSTART, amount="300")
    with pytest.raises(NotFound):
        corrections.void(user, p.id, "funds", r.id, reason="错")   # not this project's row
    for kind, item in (("nope", r.id), ("funds", "abc"), ("funds", 10**23)):
        with pytest.raises(ValidationError):
            corrections.void(user, other.id, kind, item, reason="错")
    corrections.void(user, other.id, "funds", r.id, reason="错")
    with pytest.raises(ValidationError, match="已作废"):
        corrections.void(user, other.id, "funds", r.id, reason="再错")


def test_voided_increase_stops_counting(team, user):
    p = make_project(team, "P", on=QSTART, stage=pipeline.SIGNED, contract_value="1000")
    inc = projects.add_capital_increase(user, p, on=clock.today(), amount="250")
    signed = lambda: sum(metrics.monthly_actuals(  # noqa: E731
        QSTART.year, clock.today(), [team.id])[team.id]["signed_value"])
    assert signed() == Decimal("1250.00")
    corrections.void(user, p.id, "increase", inc.id, reason="增资协议未生效")
    assert signed() == Decimal("1000.00")
    rows, total = project_timeline.capital_increases(p.id)
    assert len(rows) == 1 and rows[0].voided and total == 0


def test_voiding_latest_stage_event_restores_previous_stage_and_dates(team, user):
    p = make_project(team, "P", on=QSTART, stage=pipeline.PACKAGED)
    day2 = min(QSTART + datetime.timedelta(days=3), clock.today())
    projects.change_stage(user, p, pipeline.NEGOTIATING, on=day2)
    jump = projects.change_stage(user, p, pipeline.STARTED, on=clock.today(),
                                 contract_value="900")
    p = reload(p)
    assert p.signed_on == p.started_on == clock.today()
    corrections.void(user, p.id, "stage", jump.id, reason="误点开工")
    p = reload(p)
    assert p.stage == pipeline.NEGOTIATING
    assert p.packaged_on == QSTART and p.negotiating_on == day2
    assert p.signed_on is None and p.started_on is None
    assert p.last_progress_on == day2
    negotiation = StageEvent.get((StageEvent.project == p.id)
                                 & (StageEvent.stage == pipeline.NEGOTIATING))
    corrections.void(user, p.id, "stage", negotiation.id, reason="尚未洽谈")
    p = reload(p)
    assert p.stage == pipeline.PACKAGED and p.negotiating_on is None
    assert p.packaged_on == QSTART
    created = StageEvent.get((StageEvent.project == p.id) & StageEvent.from_stage.is_null())
    with pytest.raises(ValidationError, match="新建项目"):
        corrections.void(user, p.id, "stage", created.id, reason="x")
    # the voided events stay in the timeline, struck through
    stage_items = [i for i in project_timeline.timeline(p.id) if i["kind"] == "stage"]
    assert len(stage_items) == 3 and sum(i["voided"] for i in stage_items) == 2


def test_only_the_latest_stage_event_may_be_voided_and_drop_can_be_undone(team, user):
    p = make_project(team, "P", on=QSTART)
    first = projects.change_stage(user, p, pipeline.PACKAGED, on=QSTART)
    drop = projects.change_stage(user, p, pipeline.DROPPED, on=clock.today(), reason="撤资")
    with pytest.raises(ValidationError, match="最近一次"):
        corrections.void(user, p.id, "stage", first.id, reason="x")
    corrections.void(user, p.id, "stage", drop.id, reason="误操作退库")
    p = reload(p)
    assert p.stage == pipeline.PACKAGED and p.drop_reason == "" and p.packaged_on == QSTART


def test_void_permissions(team, user):
    other = make_user("bob", "member", task_forces=[make_task_force("TF2")])
    bureau = make_user("boss", "bureau")
    p = make_project(team, "P", on=D(QSTART.year - 1, 6, 1))
    old = projects.record_funds(None, p, received_on=D(QSTART.year - 1, 6, 2), amount="100")
    new = projects.record_funds(user, p, received_on=clock.today(), amount="50")
    before = counts()
    with pytest.raises(ValidationError, match="无权"):
        corrections.void(other, p.id, "funds", new.id, reason="错")
    filed = corrections.void(user, p.id, "funds", old.id, reason="错")   # a closed quarter: a request
    assert isinstance(filed, CorrectionRequest) and filed.pending
    assert counts()[:4] == before[:4] and not FundReceipt.get_by_id(old.id).voided
    corrections.void(user, p.id, "funds", new.id, reason="错")      # open quarter: member may
    corrections.void(bureau, p.id, "funds", old.id, reason="核实为重复")
    assert all(r.voided for r in FundReceipt.select())


def test_void_raises_the_stale_flag_the_silence_deserves(team, user):
    p = make_project(team, "P", on=D(QSTART.year - 1, 1, 5))
    r = projects.record_funds(user, p, received_on=clock.today(), amount="10")
    assert not StaleFlag.select().exists()
    corrections.void(user, p.id, "funds", r.id, reason="不是本项目的资金")
    flag = StaleFlag.get(StaleFlag.project == p.id)
    assert flag.level == "propose_drop" and flag.cleared_on is None
    assert flag.last_progress_on == D(QSTART.year - 1, 1, 5)


# --- 更正 / 变更 of 计划投资额 and 签约额 ----------------------------------------------

def signed_value(team, as_of):
    got = metrics.monthly_actuals(as_of.year, as_of, [team.id]).get(team.id)
    return sum(got["signed_value"]) if got else Decimal(0)


def packaged_value(team, as_of):
    got = metrics.monthly_actuals(as_of.year, as_of, [team.id]).get(team.id)
    return sum(got["packaged_value"]) if got else Decimal(0)


@pytest.fixture
def signed_in_feb(team, user):
    return make_project(team, "P", on=D(2026, 2, 10), stage=pipeline.SIGNED,
                        contract_value="3000", planned_investment="5000")


def test_amount_change_needs_kind_and_reason(team, user, signed_in_feb):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        projects.update_project(user, signed_in_feb.id, contract_value="4000")
    assert set(exc.value.errors) == {"change_kind", "change_reason"}
    with pytest.raises(ValidationError) as exc:
        projects.update_project(user, signed_in_feb.id, contract_value="4000",
                                change_kind="change", change_reason="追加")
    assert set(exc.value.errors) == {"change_on"}
    tomorrow = clock.today() + datetime.timedelta(days=1)
    for kind, on in (("change", tomorrow), ("other", None)):
        with pytest.raises(ValidationError):
            projects.update_project(user, signed_in_feb.id, contract_value="4000",
                                    change_kind=kind, change_on=on, change_reason="追加")
    assert counts() == before and not AmountChange.select().exists()
    # other fields alone need nothing; a first 签约额 is not a change of a counted value
    projects.update_project(user, signed_in_feb.id, next_step="回访")
    fresh = make_project(team, "Q", on=D(2026, 3, 1), stage=pipeline.NEGOTIATING)
    projects.update_project(user, fresh.id, contract_value="800")
    assert not AmountChange.select().exists()


def test_may_change_leaves_march_unchanged(team, user, signed_in_feb):
    march = D(2026, 3, 31)
    projects.update_project(user, signed_in_feb.id, contract_value="4000",
                            planned_investment="6000", change_kind="change",
                            change_on=D(2026, 5, 10), change_reason="补充协议追加投资")
    assert signed_value(team, march) == Decimal("3000.00")
    assert packaged_value(team, march) == Decimal("5000.00")
    assert signed_value(team, D(2026, 5, 9)) == Decimal("3000.00")
    assert signed_value(team, D(2026, 5, 10)) == Decimal("4000.00")
    assert signed_value(team, clock.today()) == Decimal("4000.00")
    assert packaged_value(team, clock.today()) == Decimal("6000.00")
    rows = list(AmountChange.select().order_by(AmountChange.field_name))
    assert [(r.field_name, r.kind, r.old_value, r.new_value) for r in rows] == [
        ("contract_value", "change", Decimal("3000.00"), Decimal("4000.00")),
        ("planned_investment", "change", Decimal("5000.00"), Decimal("6000.00"))]
    log = AuditLog.select().where(AuditLog.action == "update").get()
    after = json.loads(log.after)
    assert after["change_kind"] == "change" and after["change_on"] == "2026-05-10"
    titles = [i["title"] for i in project_timeline.timeline(signed_in_feb.id) if i["kind"] == "amount"]
    assert any("签约额变更：3,000.00 万元 → 4,000.00 万元" in t for t in titles)
    # a later 变更 may not take effect before the last one
    with pytest.raises(ValidationError) as exc:
        projects.update_project(user, signed_in_feb.id, contract_value="4500",
                                change_kind="change", change_on=D(2026, 4, 1),
                                change_reason="x")
    assert "上次变更" in exc.value.errors["change_on"]


def test_correction_changes_every_date(team, bureau_user, signed_in_feb):
    user = bureau_user
    march = D(2026, 3, 31)
    projects.update_project(user, signed_in_feb.id, contract_value="3500",
                            change_kind="correction", change_reason="录入错误")
    assert signed_value(team, march) == Decimal("3500.00")
    assert signed_value(team, clock.today()) == Decimal("3500.00")
    change = AmountChange.get()
    assert change.kind == "correction" and change.effective_on is None
    # a 变更 after the 更正 keeps the corrected value for the dates before it
    projects.update_project(user, signed_in_feb.id, contract_value="5000",
                            change_kind="change", change_on=D(2026, 6, 1),
                            change_reason="增加建设内容")
    assert signed_value(team, march) == Decimal("3500.00")
    assert signed_value(team, clock.today()) == Decimal("5000.00")


def test_sql_amount_in_force_is_the_domain_rule(team, user, signed_in_feb):
    """figures.in_force (SQL, every project at once) agrees with domain.amounts.in_force on
    each day around three 变更 and a 更正 (all backends)."""
    from tracker.domain.amounts import in_force
    from tracker.models import Project
    from tracker.services.figures.in_force import value_in_force
    for value, kind, on in (("4000", "change", D(2026, 5, 10)), ("4200", "correction", None),
                            ("4500", "change", D(2026, 6, 1)), ("4400", "change", D(2026, 6, 1))):
        projects.update_project(user, signed_in_feb.id, contract_value=value, change_kind=kind,
                                change_on=on, change_reason="调整")
    changes = [(c.kind, c.effective_on, c.old_value) for c in AmountChange.select()
               .where(AmountChange.field_name == "contract_value").order_by(AmountChange.id)]
    current = Project.get_by_id(signed_in_feb.id).contract_value
    for as_of in (D(2026, 3, 1), D(2026, 5, 9), D(2026, 5, 10), D(2026, 5, 31), D(2026, 6, 1)):
        sql = (Project.select(value_in_force("contract_value", as_of).alias("v"))
               .where(Project.id == signed_in_feb.id).scalar())
        assert Decimal(sql) == in_force(current, changes, as_of), as_of
    assert in_force(current, changes, D(2026, 5, 9)) == Decimal("3000.00")
    assert in_force(current, changes, D(2026, 5, 31)) == Decimal("4200.00")
