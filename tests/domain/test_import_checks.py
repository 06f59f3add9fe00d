"""Pure rules of the import's column mapping and plausibility warnings (issue 18), by hand."""
import datetime
from decimal import Decimal

from tracker.domain import import_checks as checks
from tracker.domain import import_rules as rules

D = datetime.date


def test_median_of_positive_amounts():
    assert checks.median([]) is None and checks.median([None, 0]) is None
    assert checks.median([Decimal(3), Decimal(1), Decimal(2)]) == 2
    assert checks.median([1, 2, 3, 10]) == Decimal("2.5")


def test_amount_100_times_below_or_above_a_typical_value():
    typical = [("本专班台账", Decimal(1000)), ("本文件", None)]
    assert checks.amount_warnings(Decimal(10), typical)[0].startswith(
        "计划投资额 10.00 万元不足本专班台账常见值（中位数 1,000.00 万元）的百分之一")
    assert checks.amount_warnings(Decimal("10.01"), typical) == []
    assert "100 倍" in checks.amount_warnings(Decimal(100000), typical)[0]
    assert checks.amount_warnings(Decimal(99999), typical) == []
    both = checks.amount_warnings(Decimal(5), [("本专班台账", Decimal(1000)),
                                               ("本文件", Decimal(800))])
    assert [("本专班台账" in w, "本文件" in w) for w in both] == [(True, False), (False, True)]
    assert checks.amount_warnings(None, typical) == []


def test_a_big_name_with_a_small_amount():
    assert "万吨" in checks.name_warning("年产3万吨精细化学品项目", Decimal(12))
    assert "GW" in checks.name_warning("2ｇｗ光伏组件", Decimal(50))     # width and case folded
    assert "亿" in checks.name_warning("10亿元产业园", Decimal("99.99"))
    assert checks.name_warning("年产3万吨精细化学品项目", Decimal(100)) is None
    assert checks.name_warning("新材料中试基地", Decimal(12)) is None
    assert checks.name_warning("5万平方米厂房", None) is None


def test_a_signed_stage_without_contract_value():
    assert checks.contract_warning("signed", None) == "当前阶段为签约，却没有签约额。"
    assert checks.contract_warning("producing", Decimal(0)) is not None
    assert checks.contract_warning("signed", Decimal(10)) is None
    for stage in ("negotiating", "dropped", None):
        assert checks.contract_warning(stage, None) is None


def test_dates_before_the_packaging_date():
    labels = rules.LABELS
    dates = {"packaged_on": D(2026, 3, 1), "signed_on": D(2026, 2, 1),
             "expected_sign_date": D(2026, 3, 1), "started_on": None}
    assert checks.date_warnings(dates, labels) == ["签约日期 2026-02-01 早于策划包装日期 2026-03-01。"]
    assert checks.date_warnings({"signed_on": D(2020, 1, 1)}, labels) == []


def test_row_warnings_in_order():
    found = checks.row_warnings("年产1GW电池项目", {"planned_investment": Decimal(1)}, "signed",
                                {"packaged_on": D(2026, 3, 1), "negotiating_on": D(2026, 1, 1)},
                                [("本文件", Decimal(1000))], rules.LABELS)
    assert [w[:6] for w in found] == ["计划投资额 ", "项目名称含“", "当前阶段为签", "洽谈日期 2"]


def test_columns_needing_a_decision_and_the_decisions_checked():
    assert checks.needs_decision(None, False, True, False)          # unrecognised
    assert checks.needs_decision("name", True, True, False)          # a twin
    assert not checks.needs_decision("name", False, True, False)
    assert not checks.needs_decision(None, False, False, False)     # empty
    assert not checks.needs_decision(None, False, True, True)       # 序号, 备注
    fields = {k for _, k in rules.COLUMNS}
    check = lambda d: checks.decision_problems(d, fields, rules.AMOUNT_KEYS,  # noqa: E731
                                               ("name", "planned_investment"), rules.LABELS)
    assert check({"A": ("name", None), "B": ("planned_investment", "亿元")}) == {}
    assert check({"A": ("name", None), "B": ("", None)}) == {"__all__": "还没有列导入为：计划投资额。"}
    assert "请选择" in check({"A": ("name", None), "B": ("?", None)})["B"]
    assert "单位" in check({"A": ("name", None), "B": ("planned_investment", "美元")})["B"]
    assert "已由 A 列导入" in check({"A": ("name", None), "B": ("name", None)})["B"]


def test_signature_and_heading_units():
    assert checks.signature(["项目名称", "投资（亿元）"]) == checks.signature(["项目 名称", "投资(亿元)"])
    assert checks.signature(["项目名称", "a"]) != checks.signature(["a", "项目名称"])
    assert [checks.heading_unit(t) for t in ("投资规模（亿元）", "金额(万)", "总额（元）", "备注")] == \
        ["亿元", "万元", "元", None]
