"""Amounts as people type them (issue 20, forms that do not trip people): "1.5亿", "1500万",
"15,000", "１５０００", "1.5 亿元" are read as 万元 by domain.money.check_amount, the one rule
behind every amount field, the CLI, the API and the import (domain.import_cells)."""
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import import_rules as R
from tracker.domain import money

fast = settings(max_examples=200, deadline=None)


def check(value, **kwargs):
    return money.check_amount(value, label="计划投资额", **kwargs)


@pytest.mark.parametrize("typed, stored", [
    ("1.5亿", "15000.00"),
    ("1500万", "1500.00"),
    ("15,000", "15000.00"),
    ("１５０００", "15000.00"),
    ("1.5 亿元", "15000.00"),
    ("3000万元", "3000.00"),
    ("12,000.5", "12000.50"),
    ("１．５亿", "15000.00"),
    ("1.5\u3000亿", "15000.00"),
    ("  2亿  ", "20000.00"),
    ("3千万", "3000.00"),
    ("5百万元", "500.00"),
    ("2十亿", "200000.00"),
    ("150000000元", "15000.00"),
    ("12345元", "1.23"),          # 1.2345 万元, rounded after the conversion
    ("1.23456亿", "12345.60"),
    ("0.00005亿", "0.50"),
    ("3000人民币万元", "3000.00"),
    (".5亿", "5000.00"),
    ("15000", "15000.00"),
    (Decimal("15000"), "15000.00"),
    (1500, "1500.00"),
])
def test_the_forms_people_type_are_stored_in_wan(typed, stored):
    assert check(typed) == (Decimal(stored), None)


@pytest.mark.parametrize("typed", [
    "abc", "约1.5亿", "1.5亿多", "亿", "万元", "1.亿", "1,5亿", "1e3亿", "5千", "3千",
    "12美元", "1.5亿美元", "1 500万", "1.5亿亿", "亿1.5", "一亿", "1.5 亿 元x", "NaN亿",
    "١٢亿", "1_000万",
])
def test_anything_else_says_the_unit_and_the_forms_taken(typed):
    amount, error = check(typed)
    assert amount is None
    assert error == "计划投资额必须是数字（单位：万元），可填 15000、15,000.5、1500万、1.5亿。"


@pytest.mark.parametrize("typed, error", [
    ("-1亿", "计划投资额不能为负数。"),
    ("－１５００万", "计划投资额不能为负数。"),
    ("1.5万亿", "计划投资额超出合理范围（最大 100,000,000.00 万元）。"),
    ("10001亿", "计划投资额超出合理范围（最大 100,000,000.00 万元）。"),
    ("", None),
])
def test_the_range_is_judged_after_the_conversion(typed, error):
    assert check(typed) == (None, error)
    assert check("1万亿") == (money.MAX_WAN, None)
    assert check("0.4元", positive=True)[1] == "计划投资额必须大于0（按 0.01 四舍五入后为 0）。"
    assert check(None, required=True) == (None, "请填写计划投资额。")


def test_a_usd_field_reads_us_dollars():
    usd = {"unit": "万美元"}
    assert check("1.5亿美元", **usd) == (Decimal("15000.00"), None)
    assert check("1500万", **usd) == (Decimal("1500.00"), None)
    assert check("20000美元", **usd) == (Decimal("2.00"), None)
    assert check("12元", **usd)[1] == ("计划投资额必须是数字（单位：万美元），"
                                      "可填 1500、1,500.5、1500万、1.5亿。")


def test_a_field_in_yi_reads_a_bare_number_as_yi():
    assert money.parse_amount("0.15", "亿元") == Decimal("1500.00")
    assert money.parse_amount("1500万", "亿元") == Decimal("1500")
    assert money.parse_amount(2, "亿元") == Decimal(20000)


def test_a_target_in_yi_takes_a_unit_too():
    from tracker.domain import targets as D
    assert D.parse_yi("25", label="目标值") == (Decimal("250000.00"), None)
    assert D.parse_yi("1500万", label="目标值") == (Decimal("1500.00"), None)
    assert D.parse_yi("2.5亿元", label="目标值") == (Decimal("25000.00"), None)
    assert D.parse_yi("0.0123", label="目标值") == (Decimal("123.00"), None)
    assert D.parse_yi("约25", label="目标值") == (None, "目标值必须是数字。")
    assert D.parse_yi("1.5万亿", label="目标值") == (None, "目标值超出合理范围（最大 10,000 亿元）。")


def test_the_echo_says_what_was_stored():
    assert money.stored_text(Decimal("15000")) == "= 15,000.00 万元"
    assert money.stored_text(check("1.5亿")[0]) == "= 15,000.00 万元"
    assert money.stored_text(Decimal("2.5"), "万美元") == "= 2.50 万美元"


def test_the_import_reads_a_unit_in_a_cell_the_same_way():
    for typed in ("1.5亿", "3000万元", "3千万", "150000000元", "1.5 亿元", "１５００万"):
        assert R.read_amount(typed, "亿元").value == money.parse_amount(typed)
    assert R.read_amount("3千万", None) == R.Amount(Decimal(3000), "3 千万元", "千万元")
    # a unit no field takes is no number: the cell reaches the check as typed
    assert R.read_amount("5千", "亿元").value == "5千"
    assert money.check_amount("5千", label="签约额")[1].startswith("签约额必须是数字（单位：万元）")


# --- properties ---------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10 ** 4, places=4, allow_nan=False,
                      allow_infinity=False)
FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
SPACES = st.sampled_from(["", " ", "\u3000", "\u00a0", "  "])


@fast
@given(amounts, SPACES, st.sampled_from(["亿", "亿元"]))
def test_yi_is_ten_thousand_wan(d, space, unit):
    expected = money.to_decimal(d * 10000)
    assert check(f"{d}{space}{unit}") == (expected, None)
    assert check(f"{d:,}{unit}".translate(FULL_WIDTH)) == (expected, None)


@fast
@given(amounts, SPACES, st.sampled_from(["万", "万元", ""]))
def test_wan_and_a_bare_number_are_wan(d, space, unit):
    typed = f"{d:,}{space if unit else ''}{unit}"
    assert check(typed) == (money.to_decimal(d), None)
    assert check(typed) == money.check_number(f"{d}", label="计划投资额")


@fast
@given(amounts)
def test_the_same_amount_in_any_unit_is_stored_the_same(d):
    wan = d * 10000   # d 亿元
    forms = [f"{d}亿", f"{wan}万", f"{wan:,}", f"{wan / 1000}千万", f"{wan * 10000}元",
             f"{wan / 10}十万元"]
    assert {check(f) for f in forms} == {(money.to_decimal(wan), None)}


@fast
@given(st.text(max_size=20) | st.text(st.sampled_from(list("0123456789,.+- 亿万元千百十美人民币１")),
                                      max_size=12),
       st.booleans(), st.booleans())
def test_any_text_is_an_amount_or_a_message(value, required, positive):
    amount, error = check(value, required=required, positive=positive)
    if error is not None:
        assert amount is None and error.startswith(("计划投资额", "请填写计划投资额"))
        return
    if amount is None:
        assert not required and not value.strip()
        return
    assert Decimal(0) <= amount <= money.MAX_WAN
    assert amount.as_tuple().exponent == -2 and not amount.is_signed()
    digits = set(unicodedata.normalize("NFKC", value)) & set("0123456789")
    assert digits, value          # something was typed that holds a number


@fast
@given(st.text(max_size=20))
def test_parse_amount_only_raises_value_error(value):
    try:
        number = money.parse_amount(value)
    except ValueError:
        return
    assert number.is_finite()
