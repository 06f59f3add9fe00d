"""Direct tests of tracker.domain.pipeline: what a stage change needs (check_move) and what
kind of change it is (change_kind)."""
from decimal import Decimal

import pytest

from tracker.domain import pipeline as S

NEEDS_VALUE = "签约及之后的阶段必须填写签约额（万元）。"
FROM_SIGNED_ON = S.ORDER[S.ORDER.index(S.SIGNED):]       # 签约, 开工, 投产, 达产
BEFORE_SIGNED = S.ORDER[1:S.ORDER.index(S.SIGNED)]       # 策划包装, 洽谈
D = Decimal


def test_stage_groups():
    assert FROM_SIGNED_ON == (S.SIGNED, S.STARTED, S.PRODUCING, S.AT_CAPACITY)
    assert BEFORE_SIGNED == (S.PACKAGED, S.NEGOTIATING)


# --- 签约额 ------------------------------------------------------------------------------

@pytest.mark.parametrize("target", FROM_SIGNED_ON)
@pytest.mark.parametrize("value", [None, D(0), D("0.00"), 0, D("-1"), D("-0.01")])
def test_signed_and_later_stages_refuse_a_missing_or_non_positive_value(target, value):
    check = S.check_move(S.NEGOTIATING, target, contract_value=value)
    assert not check.ok
    assert check.errors == {"contract_value": NEEDS_VALUE}


@pytest.mark.parametrize("target", FROM_SIGNED_ON)
@pytest.mark.parametrize("value", [D("0.01"), D("5000"), 1])
def test_signed_and_later_stages_accept_a_positive_value(target, value):
    check = S.check_move(S.NEGOTIATING, target, contract_value=value)
    assert check.ok and check.errors == {}


@pytest.mark.parametrize("current, target", [
    (S.RESERVE, S.PACKAGED), (S.RESERVE, S.NEGOTIATING), (S.PACKAGED, S.NEGOTIATING),
])
@pytest.mark.parametrize("value", [None, D(0), D(-1)])
def test_earlier_stages_need_no_value(current, target, value):
    assert S.check_move(current, target, contract_value=value).ok


def test_moving_back_to_a_signed_stage_still_needs_the_value():
    check = S.check_move(S.PRODUCING, S.SIGNED, note="投产认定有误")
    assert check.errors == {"contract_value": NEEDS_VALUE}
    assert S.check_move(S.PRODUCING, S.SIGNED, note="投产认定有误",
                        contract_value=D(100)).ok


# --- 退库 needs a reason -----------------------------------------------------------------

@pytest.mark.parametrize("current", S.ORDER)
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_dropping_needs_a_reason(current, reason):
    check = S.check_move(current, S.DROPPED, reason=reason)
    assert check.errors == {"reason": "退库必须填写原因。"}


@pytest.mark.parametrize("current", S.ORDER)
def test_dropping_with_a_reason_is_accepted(current):
    # a note or 签约额 is not asked for: the reason is what 退库 needs
    assert S.check_move(current, S.DROPPED, reason="投资方撤资").ok


# --- moving back needs a note ------------------------------------------------------------

@pytest.mark.parametrize("current, target", [
    (S.PACKAGED, S.RESERVE), (S.NEGOTIATING, S.PACKAGED), (S.STARTED, S.NEGOTIATING),
    (S.AT_CAPACITY, S.RESERVE),
])
@pytest.mark.parametrize("note", ["", "  ", None])
def test_moving_back_needs_a_note(current, target, note):
    check = S.check_move(current, target, note=note, contract_value=D(100))
    assert check.errors == {
        "note": f"从「{S.label(current)}」退回「{S.label(target)}」必须填写说明。"}


@pytest.mark.parametrize("current, target", [
    (S.PACKAGED, S.RESERVE), (S.NEGOTIATING, S.PACKAGED), (S.AT_CAPACITY, S.STARTED),
])
def test_moving_back_with_a_note_is_accepted(current, target):
    assert S.check_move(current, target, note="录入错误", contract_value=D(100)).ok


@pytest.mark.parametrize("current, target", [
    (S.RESERVE, S.PACKAGED), (S.RESERVE, S.NEGOTIATING), (S.NEGOTIATING, S.SIGNED),
    (S.SIGNED, S.AT_CAPACITY),
])
def test_moving_forward_needs_no_note(current, target):
    assert S.check_move(current, target, contract_value=D(100)).ok


# --- restoring from 退库 needs a note ----------------------------------------------------

@pytest.mark.parametrize("target", S.ORDER)
@pytest.mark.parametrize("note", ["", " ", None])
def test_restoring_from_dropped_needs_a_note(target, note):
    check = S.check_move(S.DROPPED, target, note=note, contract_value=D(100))
    assert check.errors == {"note": "从退库恢复项目必须填写说明。"}


@pytest.mark.parametrize("target", S.ORDER)
def test_restoring_from_dropped_with_a_note_is_accepted(target):
    assert S.check_move(S.DROPPED, target, note="投资方重新洽谈", contract_value=D(100)).ok


def test_restoring_into_a_signed_stage_needs_the_note_and_the_value():
    check = S.check_move(S.DROPPED, S.SIGNED)
    assert check.errors == {"note": "从退库恢复项目必须填写说明。",
                            "contract_value": NEEDS_VALUE}


# --- the kind of a stage change (weekly summary, 本周动态) ------------------------------

@pytest.mark.parametrize("before, after, kind", [
    (None, S.RESERVE, "new"),
    (None, S.SIGNED, "new"),
    (S.NEGOTIATING, S.SIGNED, "advance"),
    (S.RESERVE, S.STARTED, "advance"),        # skipping stages is an advance
    (S.SIGNED, S.NEGOTIATING, "back"),
    (S.SIGNED, S.DROPPED, "dropped"),
    (S.DROPPED, S.RESERVE, "advance"),        # restored from 退库
])
def test_change_kind(before, after, kind):
    assert S.change_kind(before, after) == kind
