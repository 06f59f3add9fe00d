"""落地成效 award ranking on a small hand-worked ledger (tracker/services/awards/ranking.py).

Year 2026, judged at 2026-11-28, default weights 25/15/20/20/10/10 (sum 100):

A1 — a1 signed 02-01 120,000 世界500强, started 03-01, producing 06-01; receipts 30,000 and a
     voided 10,000. a2 signed 03-10 40,000 央企, started 05-10, receipt 5,000, 增资 20,000
     (签约总额 60,000). a3 signed 04-01 20,000, started 05-01, 退库 08-01, receipt 2,000.
     a4 signed 2025-12-20: not in the cohort (its 2026 receipt does not count either).
     signed 3, started 2 (a3 dropped), producing 1, 签约总额 200,000, 到位 37,000,
     ≥10亿 1 (a1), 500强/央企 2.
     履约率 66.67 → 16.67; 开工率 66.67 → 10.00; 投产率 33.33 → 6.67; 到位率 18.50 → 3.70;
     ≥10亿 1/1 → 10.00; 500强 2/2 → 10.00. Score 57.04.
B1 — b1 signed 01-15 99,999.99 央企 (just under 10亿), started 02-15, producing 09-01, receipt
     120,000 (到位率 120.00 %, capped at 100 for the score).
     25 + 15 + 20 + 20 + 0 + 5.00 (1/2) = 85.00.
C1 — c1 signed 05-01 30,000 中国500强 (not counted), its 开工 of 08-01 voided: not started.
     c2 signed 06-01 99,999.99 民营500强, 增资 5,000 (a voided 增资 of 900,000 does not count):
     签约总额 104,999.99 ≥ 10亿; started 07-01. c3 only negotiating.
     signed 2, started 1, producing 0, 到位 0: 12.50 + 7.50 + 0 + 0 + 10.00 + 5.00 = 35.00.
Ranking: B1 85.00, A1 57.04, C1 35.00.
"""
import datetime
import json
from decimal import Decimal

import pytest

from tests.factories import make_project, make_task_force, make_user
from tracker.domain import pipeline
from tracker.domain.errors import ValidationError
from tracker.models import AuditLog, AwardFreeze, AwardRanking
from tracker.services.awards import freezing
from tracker.services.awards import ranking as awards
from tracker.services.ledger import corrections
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects

P = backfill_ledger(ledger_projects)

YEAR = 2026
AS_OF = datetime.date(2026, 11, 28)
# 2026 may still be running when the suite runs: a freeze of it states why (issue 19)
EARLY = {"reason": "年度考核提前", "early": True}
D = datetime.date


def _signed(team, name, on, value, tags="", **kw):
    return make_project(team, name, on=on, stage=pipeline.SIGNED, contract_value=value,
                        tags=tags, **kw)


def build_ledger():
    """The ledger of the module docstring; returns {code: team} and the bureau user."""
    bureau = make_user("awardbureau", role="bureau")
    teams = {code: make_task_force(code) for code in ("A1", "B1", "C1")}
    a, b, c = teams["A1"], teams["B1"], teams["C1"]
    a1 = _signed(a, "a1", D(2026, 2, 1), "120000", "世界500强")
    P.change_stage(bureau, a1.id, pipeline.STARTED, on=D(2026, 3, 1))
    P.change_stage(bureau, a1.id, pipeline.PRODUCING, on=D(2026, 6, 1))
    P.record_funds(bureau, a1.id, received_on=D(2026, 4, 1), amount="30000")
    voided = P.record_funds(bureau, a1.id, received_on=D(2026, 5, 1), amount="10000")
    corrections.void(bureau, a1.id, "funds", voided.id, "重复录入")
    a2 = _signed(a, "a2", D(2026, 3, 10), "40000", "央企,专精特新")
    P.change_stage(bureau, a2.id, pipeline.STARTED, on=D(2026, 5, 10))
    P.record_funds(bureau, a2.id, received_on=D(2026, 6, 1), amount="5000")
    P.add_capital_increase(bureau, a2.id, on=D(2026, 7, 1), amount="20000")
    a3 = _signed(a, "a3", D(2026, 4, 1), "20000")
    P.change_stage(bureau, a3.id, pipeline.STARTED, on=D(2026, 5, 1))
    P.record_funds(bureau, a3.id, received_on=D(2026, 5, 15), amount="2000")
    P.change_stage(bureau, a3.id, pipeline.DROPPED, on=D(2026, 8, 1), reason="投资方撤资")
    a4 = _signed(a, "a4", D(2025, 12, 20), "50000", "世界500强")
    P.record_funds(bureau, a4.id, received_on=D(2026, 3, 1), amount="50000")
    b1 = _signed(b, "b1", D(2026, 1, 15), "99999.99", "央企")
    P.change_stage(bureau, b1.id, pipeline.STARTED, on=D(2026, 2, 15))
    P.change_stage(bureau, b1.id, pipeline.PRODUCING, on=D(2026, 9, 1))
    P.record_funds(bureau, b1.id, received_on=D(2026, 10, 1), amount="120000")
    c1 = _signed(c, "c1", D(2026, 5, 1), "30000", "中国500强")
    start = P.change_stage(bureau, c1.id, pipeline.STARTED, on=D(2026, 8, 1))
    corrections.void(bureau, c1.id, "stage", start.id, "误操作")
    c2 = _signed(c, "c2", D(2026, 6, 1), "99999.99", "上市公司,民营500强")
    P.add_capital_increase(bureau, c2.id, on=D(2026, 6, 15), amount="5000")
    big = P.add_capital_increase(bureau, c2.id, on=D(2026, 6, 20), amount="900000")
    corrections.void(bureau, c2.id, "increase", big.id, "金额错误")
    P.change_stage(bureau, c2.id, pipeline.STARTED, on=D(2026, 7, 1))
    make_project(c, "c3", on=D(2026, 7, 1), stage=pipeline.NEGOTIATING)
    return teams, bureau


@pytest.fixture
def ledger(db):
    return build_ledger()


def _by_code(result):
    return {row.facts.code: row for row in result.rows}


def test_facts_counted_by_hand(ledger):
    facts = {f.code: f for f in awards.team_facts(YEAR, AS_OF)}
    a, b, c = facts["A1"], facts["B1"], facts["C1"]
    assert (a.signed, a.started, a.started_in_year, a.producing) == (3, 2, 2, 1)
    assert a.contract_total == Decimal("200000.00")
    assert a.funds_received == Decimal("37000.00")  # the voided 10,000 does not count
    assert (a.big_projects, a.top_investors) == (1, 2)
    assert (b.signed, b.started, b.producing, b.big_projects, b.top_investors) == (1, 1, 1, 0, 1)
    assert b.funds_received == Decimal("120000.00")
    assert (c.signed, c.started, c.producing) == (2, 1, 0)  # c1's voided 开工
    assert c.contract_total == Decimal("134999.99")  # the voided 增资 is left out
    assert (c.funds_received, c.big_projects, c.top_investors) == (Decimal("0.00"), 1, 1)


def test_scores_and_ranking_by_hand(ledger):
    result = awards.ranking(YEAR, AS_OF)
    rows = _by_code(result)
    assert [r.facts.code for r in result.rows] == ["B1", "A1", "C1"]
    assert [r.rank for r in result.rows] == [1, 2, 3]
    assert [rows[c].score for c in ("B1", "A1", "C1")] == \
        [Decimal("85.00"), Decimal("57.04"), Decimal("35.00")]
    a = rows["A1"]
    assert [(p.key, p.value, p.contribution) for p in a.parts] == [
        ("performance", Decimal("66.67"), Decimal("16.67")),
        ("start", Decimal("66.67"), Decimal("10.00")),
        ("production", Decimal("33.33"), Decimal("6.67")),
        ("funds", Decimal("18.50"), Decimal("3.70")),
        ("big", 1, Decimal("10.00")),
        ("top", 2, Decimal("10.00"))]
    funds = rows["B1"].part("funds")
    assert funds.value == Decimal("120.00") and funds.basis == Decimal("100.00")
    assert result.maxima == {"big": 1, "top": 2}


def test_weights_change_the_ranking(ledger):
    result = awards.ranking(YEAR, AS_OF, weights={"big": 1, "top": 1})
    assert [(r.facts.code, r.score) for r in result.rows] == [
        ("A1", Decimal("100.00")), ("C1", Decimal("75.00")), ("B1", Decimal("25.00"))]


def test_weights_from_config(app, ledger):
    app.config["AWARD_WEIGHTS"] = {"funds": 1}
    result = awards.ranking(YEAR, AS_OF, awards.weights_from(app.config))
    assert [r.facts.code for r in result.rows] == ["B1", "A1", "C1"]
    assert result.weights["funds"] == Decimal(1) and result.weights["performance"] == 0
    assert _by_code(result)["A1"].score == Decimal("18.50")


def test_an_earlier_as_of_date(ledger):
    """At 2026-07-31: a3 not yet dropped (started), b1 not producing, no receipt of b1,
    c2's 增资 counted, a2's 增资 of 07-01 counted, c2 started."""
    facts = {f.code: f for f in awards.team_facts(YEAR, D(2026, 7, 31))}
    assert (facts["A1"].started, facts["A1"].producing) == (3, 1)
    assert (facts["B1"].producing, facts["B1"].funds_received) == (0, Decimal("0.00"))
    facts = {f.code: f for f in awards.team_facts(YEAR, D(2026, 3, 31))}
    assert (facts["A1"].signed, facts["A1"].contract_total) == (2, Decimal("160000.00"))
    assert facts["C1"].signed == 0


def test_past_year_viewed_later_separates_start_rates(db):
    """A 2025 signing that started in 2026: 履约率 counts it, 开工率 (当年开工) does not."""
    team = make_task_force("P1")
    p = _signed(team, "old", D(2025, 11, 1), "1000")
    P.change_stage(None, p.id, pipeline.STARTED, on=D(2026, 2, 1))
    row = _by_code(awards.ranking(2025, AS_OF))["P1"]
    assert row.part("performance").value == Decimal("100.00")
    assert row.part("start").value == Decimal("0.00")
    row = _by_code(awards.ranking(2025, D(2025, 12, 31)))["P1"]
    assert row.part("performance").value == Decimal("0.00")


def test_team_without_signings_scores_zero(db):
    make_task_force("E1")
    result = awards.ranking(YEAR, AS_OF)
    row = result.rows[0]
    assert row.score == Decimal("0.00") and row.part("performance").value is None


def test_freeze_writes_once_and_keeps_its_numbers(ledger):
    teams, bureau = ledger
    result = freezing.freeze(bureau, YEAR, AS_OF, **EARLY)
    assert result.frozen.frozen_by == "awardbureau"
    assert [(r.facts.code, r.score) for r in result.rows] == [
        ("B1", Decimal("85.00")), ("A1", Decimal("57.04")), ("C1", Decimal("35.00"))]
    assert AwardFreeze.select().count() == 1 and AwardRanking.select().count() == 3
    log = AuditLog.get(AuditLog.entity == "award_ranking")
    assert log.action == "freeze" and json.loads(log.after)["task_forces"] == 3
    with pytest.raises(ValidationError) as exc:
        freezing.freeze(bureau, YEAR, AS_OF, **EARLY)
    assert "不能再次冻结" in exc.value.errors["__all__"]
    assert AwardFreeze.select().count() == 1 and AwardRanking.select().count() == 3
    # the ledger changes: C1 gets a big receipt; the live ranking moves, the frozen one not
    c4 = _signed(teams["C1"], "c4", D(2026, 11, 1), "500000", "世界500强")
    P.change_stage(bureau, c4.id, pipeline.PRODUCING, on=D(2026, 11, 2))
    P.record_funds(bureau, c4.id, received_on=D(2026, 11, 3), amount="800000")
    live = _by_code(awards.ranking(YEAR, AS_OF))
    assert live["C1"].score != Decimal("35.00")
    frozen = awards.frozen(YEAR)
    assert [(r.facts.code, r.rank, r.score) for r in frozen.rows] == [
        ("B1", 1, Decimal("85.00")), ("A1", 2, Decimal("57.04")), ("C1", 3, Decimal("35.00"))]
    assert _by_code(frozen)["A1"].part("funds").value == Decimal("18.50")
    assert frozen.weights["performance"] == Decimal(25) and frozen.as_of == AS_OF


def test_freeze_refuses_dates_outside_the_year(ledger):
    _teams, bureau = ledger
    with pytest.raises(ValidationError) as exc:
        freezing.freeze(bureau, YEAR, D(2025, 12, 31), **EARLY)
    assert "as_of" in exc.value.errors
    with pytest.raises(ValidationError):
        freezing.freeze(bureau, YEAR, D(2099, 1, 1), **EARLY)
    assert AwardFreeze.select().count() == 0


def test_frozen_rows_limited_to_visible_teams(ledger):
    teams, bureau = ledger
    freezing.freeze(bureau, YEAR, AS_OF, **EARLY)
    result = awards.frozen(YEAR, [teams["C1"].id])
    assert [r.facts.code for r in result.rows] == ["C1"] and result.total_teams == 3


def test_export_workbook(ledger):
    from openpyxl import load_workbook
    import io
    book = load_workbook(io.BytesIO(awards.export_xlsx(awards.ranking(YEAR, AS_OF))))
    sheet = book["落地成效排名"]
    assert sheet["A2"].value == "名次" and sheet["C3"].value == "B1专班"
    assert sheet["D3"].value == 85.0
    assert book["权重与公式"]["B2"].value == 25.0


def test_two_freezes_at_once_make_one(app, ledger):
    """Both pass the friendly check; the UNIQUE year decides: one ranking, one clear refusal."""
    from tests.races import run_together
    from tracker.db import database
    _teams, bureau = ledger
    database.close()
    outcomes = run_together(app, *[lambda: freezing.freeze(bureau, YEAR, AS_OF, **EARLY)] * 3)
    errors = [exc for _result, exc in outcomes if exc is not None]
    assert len(errors) == 2, outcomes
    assert all(isinstance(e, ValidationError) and "不能再次冻结" in e.errors["__all__"]
               for e in errors)
    database.connect(reuse_if_open=True)
    assert AwardFreeze.select().count() == 1 and AwardRanking.select().count() == 3


def test_a_running_year_freezes_only_with_a_reason_and_a_second_confirmation(ledger,
                                                                             monkeypatch):
    """Issue 19: on 8 December 2026 a freeze of 2026 is refused without the reason and the
    explicit confirmation; after the year ends neither is needed."""
    from tracker import clock
    _teams, bureau = ledger
    monkeypatch.setattr(clock, "today", lambda tz=None: D(2026, 12, 8))
    with pytest.raises(ValidationError) as exc:
        freezing.freeze(bureau, YEAR, AS_OF)
    assert set(exc.value.errors) == {"reason", "early"} and "尚未结束" in exc.value.errors["reason"]
    with pytest.raises(ValidationError) as exc:
        freezing.freeze(bureau, YEAR, AS_OF, reason="  ", early=True)
    assert set(exc.value.errors) == {"reason"}
    assert AwardFreeze.select().count() == 0
    assert not AuditLog.select().where(AuditLog.entity == "award_ranking").exists()
    monkeypatch.setattr(clock, "today", lambda tz=None: D(2027, 1, 5))
    freezing.freeze(bureau, YEAR, D(2026, 12, 31))
    after = json.loads(AuditLog.get(AuditLog.action == "freeze").after)
    assert after["early"] is False and after["reason"] == ""


def test_unfreeze_then_freeze_again_leaves_three_audit_rows(ledger):
    _teams, bureau = ledger
    admin = make_user("awardadmin", role="admin")
    freezing.freeze(bureau, YEAR, AS_OF, **EARLY)
    with pytest.raises(ValidationError) as exc:
        freezing.unfreeze(bureau, YEAR, "冻结错了")
    assert exc.value.errors["__all__"] == freezing.ADMIN_ONLY
    with pytest.raises(ValidationError) as exc:
        freezing.unfreeze(admin, YEAR, "")
    assert set(exc.value.errors) == {"reason"} and AwardFreeze.select().count() == 1
    before = freezing.unfreeze(admin, YEAR, "统计日期选错，应为年末")
    assert [row[0] for row in before["ranking"]] == ["B1", "A1", "C1"]
    assert AwardFreeze.select().count() == 0 and AwardRanking.select().count() == 0
    assert awards.frozen(YEAR) is None
    freezing.freeze(bureau, YEAR, AS_OF, **EARLY)
    actions = [log.action for log in AuditLog.select().where(AuditLog.entity == "award_ranking")
               .order_by(AuditLog.id)]
    assert actions == ["freeze", "unfreeze", "freeze"]
    undone = AuditLog.get(AuditLog.action == "unfreeze")
    assert "B1" in undone.before and "统计日期选错" in undone.after
    with pytest.raises(ValidationError):
        freezing.unfreeze(admin, YEAR + 1, "没有冻结")
