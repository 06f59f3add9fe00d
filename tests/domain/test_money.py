import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import money

fast = settings(max_examples=200, deadline=None)


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
    # Was "1e30" (exponents are no longer numbers, see test_check_number_refuses).
    ("1000000000", {"unit": "万元"}, (None, "金额超出合理范围（最大 100,000,000.00 万元）。")),
    ("101", {"maximum": Decimal(100)}, (None, "金额超出合理范围（最大 100）。")),
    ("2.5", {"integer": True}, (None, "金额必须是整数。")),
    ("3", {"integer": True}, (Decimal("3.00"), None)),
])
def test_check_number(value, kwargs, expected):
    assert money.check_number(value, label="金额", **kwargs) == expected


@pytest.mark.parametrize("value, expected", [
    ("１２３", Decimal("123.00")),            # full-width digits: NFKC makes them ASCII
    ("１２３．５", Decimal("123.50")),
    ("１，２３４", Decimal("1234.00")),
    ("－０", Decimal("0.00")),
    ("1,234", Decimal("1234.00")),
    ("1,234,567.891", Decimal("1234567.89")),
    ("  12.5\u3000", Decimal("12.50")),
    ("\u00a012", Decimal("12.00")),
    ("+12", Decimal("12.00")),
    (".5", Decimal("0.50")),
    ("007", Decimal("7.00")),
    ("0.005", Decimal("0.01")),             # ROUND_HALF_UP
    ("0.004", Decimal("0.00")),
    ("2.345", Decimal("2.35")),
    ("100000000", Decimal("100000000.00")),  # the maximum itself
    (Decimal("1.005"), Decimal("1.01")),
    (Decimal("12"), Decimal("12.00")),
    (2.675, Decimal("2.68")),               # repr, not the binary value 2.67499...
])
def test_check_number_accepts(value, expected):
    result = money.check_number(value, label="金额")
    assert result == (expected, None)
    assert str(result[0]) == str(expected)  # two places, and never "-0.00"


@pytest.mark.parametrize("value", [
    "١٢٣",           # Arabic-Indic digits: NFKC leaves them alone
    "۱۲۳",           # extended Arabic-Indic
    "१२३",           # Devanagari
    "1_000", "1e3", "1E3", "1e+3", "1e-2", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf",
    "1.2.3", "1,23", "1,2345", ",123", "123,", "12,34.5", "1,,000", "1 000", "1.", ".",
    "+", "-", "+-1", "--1", "0x10", "½", "一百", "1\u200b2", "12元", "$12",
    "1\n2", "\x00", "1\x00",
])
def test_check_number_refuses(value):
    assert money.check_number(value, label="金额") == (None, "金额必须是数字。")


@pytest.mark.parametrize("value, kwargs, error", [
    ("-0.001", {}, "金额不能为负数。"),
    ("-1", {"positive": True}, "金额不能为负数。"),
    ("－５", {}, "金额不能为负数。"),
    ("-" + "9" * 40, {}, "金额不能为负数。"),          # used to raise from to_decimal()
    (Decimal("-1E+40"), {}, "金额不能为负数。"),
    (-3, {}, "金额不能为负数。"),
    ("0.001", {"positive": True}, "金额必须大于0。"),  # 0.00 after rounding
    ("0.004", {"positive": True, "unit": "万元"}, "金额必须大于0（按 0.01 四舍五入后为 0）。"),
    ("0", {"positive": True, "unit": "万元"}, "金额必须大于0（按 0.01 四舍五入后为 0）。"),
    ("100000000.01", {"unit": "万元"}, "金额超出合理范围（最大 100,000,000.00 万元）。"),
    ("9" * 5000, {"unit": "万元"}, "金额超出合理范围（最大 100,000,000.00 万元）。"),
    (10 ** 30, {}, "金额超出合理范围（最大 100,000,000）。"),
    (1e30, {}, "金额超出合理范围（最大 100,000,000）。"),
    ("1.5", {"integer": True}, "金额必须是整数。"),
    ("3.001", {"integer": True}, "金额必须是整数。"),
    (None, {"required": True}, "请填写金额。"),
    ("  \u3000", {"required": True}, "请填写金额。"),
    (float("nan"), {}, "金额必须是数字。"),
    (float("inf"), {}, "金额必须是数字。"),
    (Decimal("NaN"), {}, "金额必须是数字。"),
    (Decimal("-Infinity"), {}, "金额必须是数字。"),
    (False, {}, "金额必须是数字。"),
    ([], {}, "金额必须是数字。"),
    (b"12", {}, "金额必须是数字。"),
])
def test_check_number_errors(value, kwargs, error):
    assert money.check_number(value, label="金额", **kwargs) == (None, error)


def test_check_number_optional_empty():
    assert money.check_number("   ", label="金额") == (None, None)
    assert money.check_number(None, label="金额", positive=True) == (None, None)


def test_check_number_positive_after_rounding():
    assert money.check_number("0.005", label="金额", positive=True) == (Decimal("0.01"), None)
    assert money.check_number("0.01", label="金额", positive=True) == (Decimal("0.01"), None)


@pytest.mark.parametrize("value", ["-0", "-0.00", "-0.0000", Decimal("-0")])
def test_check_number_negative_zero_is_zero(value):
    amount, error = money.check_number(value, label="金额")
    assert (amount, error) == (Decimal("0.00"), None)
    assert not amount.is_signed()
    assert money.check_number(value, label="金额", positive=True)[1] == "金额必须大于0。"


def test_display_units():
    assert money.fmt_yi(Decimal("1234567.89")) == "123.46"
    assert money.fmt_wan(Decimal("1234567.891")) == "1,234,567.89"
    assert money.yi_to_wan("20") == Decimal("200000.00")


# "1,000" used to be refused; thousands separators in groups of three are now allowed.
@pytest.mark.parametrize("bad", ["x", "1,00", "1_000", "1e3", "١٢٣", None, False, True,
                                 float("nan"), float("-inf"), Decimal("sNaN"), "", "   "])
def test_parse_decimal_rejects(bad):
    with pytest.raises(ValueError):
        money.parse_decimal(bad)


@pytest.mark.parametrize("value, expected", [
    ("1,000", Decimal("1000")),
    ("１２３", Decimal("123")),
    ("-1.5", Decimal("-1.5")),
    ("0.001", Decimal("0.001")),         # exact: no rounding in parse_decimal
    (" 12 ", Decimal("12")),
    (3, Decimal(3)),
    (0.1, Decimal("0.1")),
])
def test_parse_decimal(value, expected):
    assert money.parse_decimal(value) == expected


two_places = st.decimals(min_value=0, max_value=10 ** 8, places=2, allow_nan=False,
                         allow_infinity=False)


@fast
@given(two_places)
def test_check_number_round_trips_two_place_amounts(d):
    assert money.check_number(str(d), label="金额") == (d, None)
    assert money.check_number(f"{d:,}", label="金额") == (d, None)
    assert money.check_number(d, label="金额", positive=d > 0) == (d, None)


FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


@fast
@given(st.decimals(min_value=-10 ** 8, max_value=10 ** 8, places=3, allow_nan=False,
                   allow_infinity=False))
def test_full_width_input_means_the_same(d):
    assert money.check_number(str(d).translate(FULL_WIDTH), label="金额") \
        == money.check_number(str(d), label="金额")


@fast
@given(st.text(max_size=30) | st.text(st.sampled_from(list("0123456789,.+-eE_ \u00a0１٣")),
                                      max_size=20))
def test_parse_decimal_only_raises_value_error(value):
    try:
        number = money.parse_decimal(value)
    except ValueError:
        return
    assert number.is_finite()
    assert set(unicodedata.normalize("NFKC", value).strip()) <= set("0123456789,.+-")


@fast
@given(st.text(max_size=30) | st.text(st.sampled_from(list("0123456789,.+-eE_ \u00a0１٣")),
                                      max_size=20),
       st.booleans(), st.booleans(), st.booleans())
def test_check_number_result_is_a_valid_amount_or_an_error(value, required, positive,
                                                           integer):
    amount, error = money.check_number(value, label="金额", required=required,
                                       positive=positive, integer=integer)
    if error is not None:
        assert amount is None and error.startswith(("金额", "请填写金额"))
        return
    if amount is None:
        assert not required and not value.strip()
        return
    assert Decimal(0) <= amount <= money.MAX_WAN
    assert amount == amount.quantize(money.CENT) and amount.as_tuple().exponent == -2
    assert not amount.is_signed()
    assert amount > 0 or not positive
    assert amount == amount.to_integral_value() or not integer
