from decimal import Decimal

import pytest

from tracker.domain import money


@pytest.mark.parametrize("value, kwargs, expected", [
    ("12.345", {}, (Decimal("12.35"), None)),
    (7, {}, (Decimal("7.00"), None)),
    (0.1, {}, (Decimal("0.10"), None)),
    ("", {}, (None, None)),
    (None, {"required": True}, (None, "请填写金额。")),
    ("abc", {}, (None, "金额必须是数字。")),
    ("NaN", {}, (None, "金额必须是数字。")),
    ("inf", {}, (None, "金额必须是数字。")),
    (True, {}, (None, "金额必须是数字。")),
    ("-5", {}, (None, "金额不能为负数。")),
    ("0", {"positive": True}, (None, "金额必须大于0。")),
    ("1e30", {"unit": "万元"}, (None, "金额超出合理范围（最大 100,000,000.00 万元）。")),
    ("101", {"maximum": Decimal(100)}, (None, "金额超出合理范围（最大 100）。")),
    ("2.5", {"integer": True}, (None, "金额必须是整数。")),
    ("3", {"integer": True}, (Decimal("3.00"), None)),
])
def test_check_number(value, kwargs, expected):
    assert money.check_number(value, label="金额", **kwargs) == expected


def test_display_units():
    assert money.fmt_yi(Decimal("1234567.89")) == "123.46"
    assert money.fmt_wan(Decimal("1234567.891")) == "1,234,567.89"
    assert money.yi_to_wan("20") == Decimal("200000.00")


@pytest.mark.parametrize("bad", ["x", "1,000", None, False, float("nan")])
def test_parse_decimal_rejects(bad):
    with pytest.raises(ValueError):
        money.parse_decimal(bad)
