"""tracker.domain.targets: 亿元 input, the ×10/÷10 and floor rule, shares, tokens (pure)."""
from decimal import Decimal

import pytest

from tracker.domain import targets as D

W = Decimal


@pytest.mark.parametrize("raw, wan", [
    ("25", "250000.00"), ("２５", "250000.00"), ("0.0123", "123.00"), ("1,000", "10000000.00"),
    ("100.5", "1005000.00"), ("0.0000001", "0.00"), ("10000", "100000000.00"),
])
def test_parse_yi_converts_exactly(raw, wan):
    assert D.parse_yi(raw, label="目标值") == (W(wan), None)


@pytest.mark.parametrize("raw, message", [
    ("abc", "目标值必须是数字。"), ("-1", "目标值不能为负数。"), ("1e3", "目标值必须是数字。"),
    ("10000.01", "目标值超出合理范围（最大 10,000 亿元）。"), ("NaN", "目标值必须是数字。"),
])
def test_parse_yi_refuses(raw, message):
    assert D.parse_yi(raw, label="目标值") == (None, message)


def test_parse_yi_empty_is_none():
    assert D.parse_yi("  ", label="x") == (None, None) and D.parse_yi(None, label="x") == (None, None)


@pytest.mark.parametrize("wan, text", [
    (None, ""), (W("250000.00"), "25"), (W("123.00"), "0.0123"), (W("1000000"), "100"),
    (W("2500.5"), "0.25005"),
])
def test_yi_text_round_trips(wan, text):
    assert D.yi_text(wan) == text
    if wan is not None:
        assert D.parse_yi(text, label="x")[0] == wan


FLOOR = D.floor_wan(1)      # 1 亿元 = 10000 万元


@pytest.mark.parametrize("old, new, warns", [
    (None, W(250000), False),            # first version above the floor
    (W(200000), W(2000000), False),      # exactly ×10 is allowed
    (W(200000), W(2000000.01), True),    # more than ×10
    (W(200000), W(20000), False),        # exactly ÷10
    (W(200000), W(19999.99), True),      # more than ÷10
    (W(200000), W(200000), False),       # unchanged
    (W(200000), None, False),            # empty: unchanged
    (W(0), W(50000), True),              # from zero: beyond any factor
])
def test_ratio_rule(old, new, warns):
    assert bool(D.revision_warning(old, new, floor_wan=FLOOR)) is warns


def test_floor_rule_and_messages_in_yi():
    message = D.revision_warning(None, W(25), floor_wan=FLOOR)
    assert message == "目标 0.00 亿元 低于下限 1.00 亿元，请核对单位（亿元）。"
    assert D.revision_warning(None, W(10000), floor_wan=FLOOR) is None      # at the floor
    assert D.revision_warning(None, W(9999.99), floor_wan=FLOOR)
    assert D.revision_warning(None, W(25), floor_wan=None) is None          # no floor
    assert D.revision_warning(W(250000), W(25), floor_wan=FLOOR).startswith("目标 0.00 亿元")
    ratio = D.revision_warning(W(20000), W(250000), floor_wan=FLOOR)
    assert ratio == "由 2.00 亿元 改为 25.00 亿元，变化超过 10 倍，请核对单位和数值。"


def test_counts_have_no_floor_but_a_ratio():
    assert D.revision_warning(None, W(1), is_money=False, floor_wan=FLOOR) is None
    assert D.revision_warning(W(20), W(201), is_money=False) == \
        "由 20 个 改为 201 个，变化超过 10 倍，请核对单位和数值。"
    assert D.revision_warning(W(20), W(2), is_money=False) is None


def test_floor_from_config():
    assert D.floor_wan(None) == W("10000.00") and D.floor_wan("2.5") == W("25000.00")
    assert D.floor_wan(0) == W("0.00")


def test_token_is_stable_and_specific():
    a = D.token([("signed_value", W(200000), W(2500000))])
    assert a == D.token([("signed_value", W(200000), W(2500000))]) and len(a) == 24
    assert a != D.token([("signed_value", W(200000), W(2500001))])
    assert D.token([("a", 1), ("b", 2)]) == D.token([("b", 2), ("a", 1)])


@pytest.mark.parametrize("shares, errors", [
    (["25", "50", "75", "100"], {}),
    (["50", "40", "70", "100"], {2: "累计比例必须逐季不减：不能低于第1季度的 50%。"}),
    (["10", "40", "30", "100"], {3: "累计比例必须逐季不减：不能低于第2季度的 40%。"}),
    (["10", "40", "70", "90"], {4: "第四季度累计比例必须为 100%。"}),
    ([None, "40", "30", "100"], {3: "累计比例必须逐季不减：不能低于第2季度的 40%。"}),
    (["10", None, "5", "100"], {}),     # a missing quarter is reported by the parser
])
def test_share_errors_flag_the_lower_quarter(shares, errors):
    values = [None if s is None else W(s) for s in shares]
    assert D.share_errors(values) == errors


def test_all_first_unrevised_needs_every_target_set_later_and_unrevised():
    from tracker.domain.targets import all_first_unrevised
    assert all_first_unrevised([(True, False), (True, False)])
    assert not all_first_unrevised([])                           # nothing judged
    assert not all_first_unrevised([(True, False), (False, False)])   # one in force
    assert not all_first_unrevised([(True, True)])               # revised since
    assert all_first_unrevised(iter([(True, False)]))            # any iterable, read once
