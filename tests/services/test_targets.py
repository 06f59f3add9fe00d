import datetime
import json
from decimal import Decimal

import pytest

from tests.factories import make_county, make_task_force, make_user
from tracker import clock
from tracker.models import AuditLog, CheckpointShare, CountyTarget, TaskForceTarget
from tracker.services.targets import annual as T
from tracker.services.targets.counties import county_history
from tracker.services.targets.counties import current_county_targets
from tracker.services.targets.counties import set_county_target
from tracker.services.targets.shares import shares_for
from tracker.services.targets import shares as target_shares
from tracker.services.targets import counties as county_targets
from tracker.domain.errors import ValidationError
from tracker.domain.targets import NeedsConfirmation


def test_set_target_versions_and_audit(db):
    boss = make_user("boss", role="bureau")
    team = make_task_force("TF1")
    first = T.set_target(boss, team, 2026, "signed_value", "200000", "年初下达")
    assert (first.version, first.value) == (1, Decimal("200000.00"))
    second = T.set_target(boss, team, 2026, "signed_value", "250000.5", "加压")
    assert second.version == 2 and second.set_by_id == boss.id and second.reason == "加压"
    assert T.current_target(team, 2026, "signed_value").id == second.id
    # same value again: no new version
    assert T.set_target(boss, team, 2026, "signed_value", "250000.50").id == second.id
    # an empty value is "unchanged": nothing removes a target
    assert T.set_target(boss, team, 2026, "signed_value", "").id == second.id
    assert T.set_targets(boss, team, 2026, {"signed_value": "", "negotiations": " "}) == 0
    assert T.current_targets(2026)[(team.id, "signed_value")].version == 2
    assert [r.version for r in T.history(2026)] == [2, 1]
    rows = AuditLog.select().where(AuditLog.entity == "target").order_by(AuditLog.id)
    assert [json.loads(r.after)["version"] for r in rows] == [1, 2]
    assert json.loads(rows[1].before) == {"value": "200000.00", "version": 1}
    assert T.latest_version_number(2026) == 2 and T.latest_version_number(2027) == 0


@pytest.mark.parametrize("kwargs, field, message", [
    ({"metric": "nope"}, "metric", "未知指标。"),
    ({"value": "abc"}, "value", "目标值必须是数字。"),
    ({"value": "-5"}, "value", "目标值不能为负数。"),
    ({"value": "1000000000000"}, "value", "目标值超出合理范围"),
    ({"metric": "negotiations", "value": "2.5"}, "value", "目标值必须是整数。"),
    ({"year": "20x6"}, "year", "年份必须是整数。"),
    ({"year": 1999}, "year", "年份必须在 2000 至 2100 之间。"),
    ({"reason": "长" * 501}, "reason", "修改原因不能超过 500 个字"),
])
def test_set_target_rejects_bad_input(db, kwargs, field, message):
    team = make_task_force("TF1")
    args = {"year": 2026, "metric": "signed_value", "value": "100", "reason": ""}
    args.update(kwargs)
    with pytest.raises(ValidationError) as exc:
        T.set_target(None, team, args["year"], args["metric"], args["value"], args["reason"])
    assert exc.value.errors[field].startswith(message)
    assert TaskForceTarget.select().count() == 0 and AuditLog.select().count() == 0


def test_apply_defaults_to_active_task_forces(db):
    boss = make_user("boss", role="admin")
    a, b = make_task_force("TFA"), make_task_force("TFB")
    make_task_force("OLD", active=False)
    T.set_target(boss, a, 2026, "signed_value", "123")
    assert T.apply_defaults(2026, boss) == 5          # 3 metrics x 2 teams, 1 already set
    current = T.current_targets(2026)
    assert current[(a.id, "signed_value")].value == Decimal("123.00")
    assert current[(b.id, "packaged_value")].value == Decimal("1000000.00")
    assert current[(b.id, "negotiations")].value == Decimal("20.00")
    assert current[(b.id, "signed_value")].value == Decimal("200000.00")
    assert (a.id, "funds_received") not in current
    assert len(current) == 6
    assert T.apply_defaults(2026, boss) == 0          # idempotent
    # overwrite: the revised target is listed first, nothing written until confirmed
    with pytest.raises(NeedsConfirmation) as exc:
        T.apply_defaults(2026, boss, overwrite=True)
    assert [(i["task_force"], i["metric"], i["current"], i["default"]) for i in exc.value.items] \
        == [("TFA", "signed_value", Decimal("123.00"), Decimal("200000"))]
    assert T.latest_version_number(2026) == 1
    with pytest.raises(NeedsConfirmation):
        T.apply_defaults(2026, boss, overwrite=True, confirm="not-the-token")
    assert T.apply_defaults(2026, boss, overwrite=True, confirm=exc.value.token) == 1
    assert T.current_targets(2026)[(a.id, "signed_value")].version == 2
    assert T.apply_defaults(2026, boss, overwrite=True) == 0     # nothing revised left
    with pytest.raises(ValidationError):
        T.apply_defaults("x", boss)


def test_checkpoint_shares(db):
    boss = make_user("boss", role="bureau")
    assert shares_for(2026)["signed_value"] == (25, 50, 75, 100)
    target_shares.set_shares(boss, 2026, "signed_value", ["10", "40", "70", "100"])
    target_shares.set_shares(boss, 2026, "signed_value", ["20", "45", "70", "100"])
    assert CheckpointShare.select().count() == 1
    assert shares_for(2026)["signed_value"] == (20, 45, 70, 100)
    assert shares_for(2026)["negotiations"] == (25, 50, 75, 100)
    assert shares_for(2027)["signed_value"] == (25, 50, 75, 100)
    assert AuditLog.select().where(AuditLog.entity == "checkpoint_share").count() == 2
    with pytest.raises(ValidationError) as exc:
        target_shares.set_shares(boss, 2026, "signed_value", ["50", "40", "70", "100"])
    assert exc.value.errors == {"q2": "累计比例必须逐季不减：不能低于第1季度的 50%。"}
    with pytest.raises(ValidationError) as exc:
        target_shares.set_shares(boss, 2026, "signed_value", ["", "40", "70", "101"])
    assert set(exc.value.errors) == {"q1", "q4"}
    assert shares_for(2026)["signed_value"] == (20, 45, 70, 100)


def test_county_targets(db):
    boss = make_user("boss", role="bureau")
    county = make_county("C1")
    first = set_county_target(boss, county, 2026, base="", growth_pct="20")
    assert (first.version, first.base, first.growth_pct) == (1, None, Decimal("20.00"))
    second = set_county_target(boss, county.id, 2026, base="5000", growth_pct="25",
                                 reason="去年台账缺失，按统计数")
    assert second.version == 2 and current_county_targets(2026)[county.id].id == second.id
    assert set_county_target(boss, county, 2026, base="5000.00", growth_pct=25).id == second.id
    assert [r.version for r in county_history(2026)] == [2, 1]
    with pytest.raises(ValidationError) as exc:
        set_county_target(boss, 999, 2026, base="x", growth_pct="")
    assert set(exc.value.errors) == {"county", "base", "growth_pct"}
    assert CountyTarget.select().count() == 2


def test_seed_demo_targets(db):
    import datetime

    from tests.services.ledger_fixture import build
    L = build()
    written, bases = T.seed_demo_targets(datetime.date(2026, 11, 25), L["user"])
    assert written == 12                        # 2 teams x 3 metrics x 2 years
    # 2025: C1 has 400 in 2025 and nothing in 2024 -> hand base 400 / 1.25 = 320;
    #       C2 has nothing in 2025
    # 2026: C1 has ledger history (2025), C2 has none -> hand base 2500 / 1.12 = 2232
    assert bases == 2
    assert current_county_targets(2025)[L["c1"].id].base == Decimal("320.00")
    assert current_county_targets(2026)[L["c2"].id].base == Decimal("2232.00")
    assert L["c1"].id not in current_county_targets(2026)
    assert T.seed_demo_targets(datetime.date(2026, 11, 25), L["user"]) == (0, 0)


def test_cli_defaults_and_show(app):
    runner = app.test_cli_runner()
    with app.app_context():
        make_task_force("TFA")
    result = runner.invoke(args=["targets", "defaults", "--year", "2026"])
    assert result.exit_code == 0 and "新增 3 个目标版本" in result.output
    result = runner.invoke(args=["targets", "show", "--year", "2026"])
    assert result.exit_code == 0
    assert "金额单位：亿元" in result.output
    assert "TFA" in result.output and "签约额=20.00亿元 v1" in result.output
    assert "策划包装项目=100.00亿元 v1" in result.output and "洽谈项目=20个 v1" in result.output
    result = runner.invoke(args=["targets", "defaults", "--year", "1900"])
    assert result.exit_code != 0 and "年份必须在" in result.output


# --- entry (services.targets.entry): 亿元, reason required, confirmation ------------------

def test_enter_targets_in_yi_with_reason(db):
    from tracker.services.targets import entry as E
    boss = make_user("boss", role="bureau")
    team = make_task_force("TF1")
    with pytest.raises(ValidationError) as exc:
        E.enter_targets(boss, team, 2026, {"signed_value": "25"}, "  ")
    assert exc.value.errors == {"reason": "请填写修改原因。"}
    assert E.enter_targets(boss, team, 2026, {"signed_value": "25", "negotiations": "20",
                                              "packaged_value": ""}, "年初下达") == 2
    row = T.current_target(team, 2026, "signed_value")
    assert row.value == Decimal("250000.00") and row.reason == "年初下达"
    assert T.current_target(team, 2026, "packaged_value") is None      # empty: unchanged
    with pytest.raises(ValidationError) as exc:
        E.enter_targets(boss, team, 2026, {"signed_value": "20000", "negotiations": "x"}, "r")
    assert exc.value.errors == {"signed_value": "目标值超出合理范围（最大 10,000 亿元）。",
                                "negotiations": "目标值必须是数字。"}


def test_enter_targets_ratio_needs_confirmation(db):
    from tracker.services.targets import entry as E
    boss = make_user("boss", role="bureau")
    team = make_task_force("TF1")
    E.enter_targets(boss, team, 2026, {"signed_value": "20", "negotiations": "20"}, "下达")
    values = {"signed_value": "250", "negotiations": "201"}
    with pytest.raises(NeedsConfirmation) as exc:
        E.enter_targets(boss, team, 2026, values, "上调")
    assert set(exc.value.errors) == {"signed_value", "negotiations"}
    assert "由 20.00 亿元 改为 250.00 亿元" in exc.value.errors["signed_value"]
    assert T.latest_version_number(2026) == 1 and AuditLog.select().count() == 2
    # a different value than the one confirmed asks again
    with pytest.raises(NeedsConfirmation):
        E.enter_targets(boss, team, 2026, dict(values, signed_value="260"), "上调",
                        confirm=exc.value.token)
    assert E.enter_targets(boss, team, 2026, values, "上调", confirm=exc.value.token) == 2
    assert T.current_target(team, 2026, "signed_value").value == Decimal("2500000.00")
    # ÷10 or less and unchanged metrics need no confirmation
    assert E.enter_targets(boss, team, 2026, {"signed_value": "25", "negotiations": "201"},
                           "回调") == 1


def test_enter_targets_floor_is_configurable(app):
    from tracker.services.targets import entry as E
    with app.app_context():
        boss = make_user("boss", role="bureau")
        team = make_task_force("TF1")
        with pytest.raises(NeedsConfirmation) as exc:
            E.enter_targets(boss, team, 2026, {"packaged_value": "0.5"}, "试")
        assert exc.value.errors == {
            "packaged_value": "目标 0.50 亿元 低于下限 1.00 亿元，请核对单位（亿元）。"}
        assert E.enter_targets(boss, team, 2026, {"negotiations": "1"}, "个数无下限") == 1
        app.config["TARGET_FLOOR_YI"] = "0.1"
        assert E.enter_targets(boss, team, 2026, {"packaged_value": "0.5"}, "试",
                               floor=E.floor_from(app.config)) == 1
        assert T.current_target(team, 2026, "packaged_value").value == Decimal("5000.00")


def test_enter_county_target_in_yi(db):
    boss = make_user("boss", role="bureau")
    county = make_county("C1")
    with pytest.raises(ValidationError) as exc:
        county_targets.enter_county_target(boss, county, 2026, base="0.8", growth_pct="20", reason="")
    assert exc.value.errors == {"reason": "请填写修改原因。"}
    row = county_targets.enter_county_target(boss, county, 2026, base="0.8", growth_pct="20", reason="统计数")
    assert row.base == Decimal("8000.00")
    with pytest.raises(NeedsConfirmation) as exc:
        county_targets.enter_county_target(boss, county, 2026, base="80", growth_pct="20", reason="更正")
    assert exc.value.errors["base"].startswith("由 0.80 亿元 改为 80.00 亿元")
    row = county_targets.enter_county_target(boss, county, 2026, base="80", growth_pct="20", reason="更正",
                                confirm=exc.value.token)
    assert (row.version, row.base) == (2, Decimal("800000.00"))


def test_cli_overwrite_lists_and_asks(app):
    runner = app.test_cli_runner()
    with app.app_context():
        team = make_task_force("TFA")
        T.set_target(None, team, 2026, "signed_value", "123")
    result = runner.invoke(args=["targets", "defaults", "--year", "2026", "--overwrite"],
                           input="n\n")
    assert result.exit_code != 0 and "TFA" in result.output
    assert "签约额\tv1 0.01亿元 -> 20.00亿元" in result.output
    with app.app_context():
        assert T.latest_version_number(2026) == 1
    result = runner.invoke(args=["targets", "defaults", "--year", "2026", "--overwrite"],
                           input="y\n")
    assert result.exit_code == 0 and "新增 3 个目标版本" in result.output


# --- the version in force at the as-of boundary (Asia/Shanghai, UTC+8) -------------------

def _back_date(team, metric, version, utc_naive):
    TaskForceTarget.update(set_at=utc_naive).where(
        (TaskForceTarget.task_force == team.id) & (TaskForceTarget.metric == metric)
        & (TaskForceTarget.version == version)).execute()


def test_targets_in_force_at_local_midnight(db):
    """A version set at 23:59:59.999999 local on day D is in force for as_of=D; one set at
    00:00 local on D+1 (16:00 UTC on D) is not, and is for D+1."""
    UTC, day, next_day = datetime.datetime, datetime.date(2026, 6, 30), datetime.date(2026, 7, 1)
    assert clock.zone().key == "Asia/Shanghai"
    boss, team = make_user("boss", role="bureau"), make_task_force("TF1")
    make_task_force("TF2")
    T.set_target(boss, team, 2026, "signed_value", "10000")
    T.set_target(boss, team, 2026, "signed_value", "20000", "年中上调")
    _back_date(team, "signed_value", 1, UTC(2026, 1, 5, 2))
    key = (team.id, "signed_value")

    last_moment = UTC(2026, 6, 30, 15, 59, 59, 999999)      # 2026-06-30 23:59:59.999999 local
    assert clock.to_local(last_moment).date() == day
    _back_date(team, "signed_value", 2, last_moment)
    for ids in (None, [team.id]):
        assert T.targets_in_force(2026, day, ids)[key] == \
            T.TargetInForce(Decimal("20000.00"), 2, 2, False)

    midnight = UTC(2026, 6, 30, 16)                        # 2026-07-01 00:00:00 local
    assert clock.to_local(midnight).date() == next_day
    _back_date(team, "signed_value", 2, midnight)
    for ids in (None, [team.id]):
        assert T.targets_in_force(2026, day, ids)[key] == \
            T.TargetInForce(Decimal("10000.00"), 1, 2, False)
        assert T.targets_in_force(2026, next_day, ids)[key] == \
            T.TargetInForce(Decimal("20000.00"), 2, 2, False)
