from decimal import Decimal

import pytest

from tracker.domain import progress as P

D = Decimal


@pytest.mark.parametrize("actual, target, expected", [
    ("0", "100", "0.00"),
    ("50", "100", "50.00"),
    ("1", "3", "33.33"),
    ("250", "200", "125.00"),
    ("5", None, None),
    ("5", "0", None),
])
def test_completion(actual, target, expected):
    result = P.completion(D(actual), None if target is None else D(target))
    assert result == (None if expected is None else D(expected))


@pytest.mark.parametrize("gap, colour", [
    ("15.00", "green"), ("0.00", "green"), ("-0.01", "yellow"), ("-10.00", "yellow"),
    ("-10.01", "orange"), ("-30.00", "orange"), ("-30.01", "red"), ("-100.00", "red"),
    (None, "grey"),
])
def test_status_default_bands(gap, colour):
    assert P.status(None if gap is None else D(gap)) == colour


def test_status_configurable_bands():
    bands = P.StatusBands.from_config({"green": -5, "yellow": -15, "orange": -20})
    assert P.status(D("-4"), bands) == "green"
    assert P.status(D("-12"), bands) == "yellow"
    assert P.status(D("-18"), bands) == "orange"
    assert P.status(D("-21"), bands) == "red"
    assert P.StatusBands.from_config([0, -10, -30]) == P.DEFAULT_BANDS
    with pytest.raises(ValueError):
        P.StatusBands(D(-20), D(-10), D(-30))


def test_gap_points():
    assert P.gap_points(D("30.00"), D("50.00")) == D("-20.00")
    assert P.gap_points(None, D("50.00")) is None


@pytest.mark.parametrize("target, shares, expected", [
    ("1000000", P.DEFAULT_SHARES, ("250000.00", "500000.00", "750000.00", "1000000.00")),
    ("20", P.DEFAULT_SHARES, ("5.00", "10.00", "15.00", "20.00")),
    ("200000", (D(10), D(40), D(70), D(100)), ("20000.00", "80000.00", "140000.00",
                                                  "200000.00")),
])
def test_checkpoints(target, shares, expected):
    assert P.checkpoints(D(target), shares) == tuple(D(x) for x in expected)


def test_checkpoints_without_target():
    assert P.checkpoints(None) == (None,) * 4


@pytest.mark.parametrize("shares, message", [
    ((25, 50, 75, 100), None),
    ((0, 0, 0, 100), None),
    ((25, 50, 75), "必须填写四个季度的累计比例。"),
    ((30, 20, 75, 100), "累计比例必须逐季不减。"),
    ((25, 50, 75, 90), "第四季度累计比例必须为 100%。"),
    ((-1, 50, 75, 100), "累计比例必须在 0 到 100 之间。"),
    (("x", 50, 75, 100), "节点比例必须是数字。"),
])
def test_validate_shares(shares, message):
    assert P.validate_shares(shares) == message


MONTHLY = tuple(D(x) for x in ("10", "0", "5", "20", "0", "0", "1", "0", "0", "0", "0", "4"))


def test_cumulative_and_quarters():
    assert P.cumulative(MONTHLY)[:4] == (D(10), D(10), D(15), D(35))
    assert P.quarter_totals(MONTHLY) == (D(15), D(20), D(1), D(4))
    assert P.quarter_cumulative(MONTHLY) == (D(15), D(35), D(36), D(40))


@pytest.mark.parametrize("actual, open_qs, needed, even", [
    # target 100, checkpoints 25/50/75/100
    ("10", (1, 2, 3, 4), ("15", "25", "25", "25"), "22.50"),   # behind in Q1
    ("30", (2, 3, 4), ("20", "25", "25"), "23.33"),            # Q1 closed 30 > 25
    ("60", (2, 3, 4), ("0", "15", "25"), "13.33"),             # ahead of Q2 already
    ("40", (3, 4), ("35", "25"), "30.00"),                     # behind after Q2
    ("120", (4,), ("0",), "0.00"),                             # target exceeded
])
def test_catch_up(actual, open_qs, needed, even):
    cps = P.checkpoints(D(100))
    result = P.catch_up(D(100), cps, D(actual), open_qs)
    assert [c.quarter for c in result] == list(open_qs)
    assert [c.needed for c in result] == [D(n) for n in needed]
    assert {c.even_split for c in result} == {D(even)}
    # meeting every "needed" lands exactly on the last open checkpoint (or above)
    assert D(actual) + sum(c.needed for c in result) >= cps[open_qs[-1] - 1]


def test_catch_up_without_target_or_open_quarters():
    assert P.catch_up(None, (None,) * 4, D(5), (3, 4)) == ()
    assert P.catch_up(D(100), P.checkpoints(D(100)), D(5), ()) == ()


def test_bands_from_a_read_only_mapping():
    from types import MappingProxyType
    bands = P.StatusBands.from_config(MappingProxyType({"green": 0, "yellow": -10, "orange": -30}))
    assert bands == P.DEFAULT_BANDS


# --- score (综合完成率): the capped mean of the completions that exist -------------------

def test_score_caps_each_completion_before_the_mean():
    # 150 counts as 120: (120 + 90) / 2; capping the mean instead would give 120
    assert P.score([D("150"), D("90")], cap=D(120)) == D("105.00")
    assert P.score([D("208000.00"), D("10.00")]) == D("65.00")   # default cap 120
    assert P.DEFAULT_RANKING_CAP == D(120)


@pytest.mark.parametrize("cap, expected", [
    (D(100), D("75.00")),    # (100 + 50) / 2
    (D(120), D("85.00")),    # (120 + 50) / 2
    (D(200), D("100.00")),   # under the cap: counted as it is
    (D(50), D("50.00")),     # a completion equal to the cap is kept
])
def test_score_cap_is_the_most_one_completion_counts(cap, expected):
    assert P.score([D("150"), D("50")], cap=cap) == expected


def test_score_leaves_skipped_metrics_out_of_the_mean():
    # None = no target for that metric: not a 0 % (which would give 50.00)
    assert P.score([D("100"), None, D("50")]) == D("75.00")
    assert P.score([None, D("80"), None]) == D("80.00")
    assert P.score([D("0"), None]) == D("0.00")     # a real 0 % still counts


@pytest.mark.parametrize("completions", [[None], [None, None, None], [], ()])
def test_score_without_any_completion_is_none(completions):
    assert P.score(completions) is None


@pytest.mark.parametrize("completions, expected", [
    ([D("1"), D("2"), D("2")], "1.67"),                 # 5/3 = 1.666...
    ([D("10.005")], "10.01"),                           # half up (half even would give 10.00)
    ([D("33.33"), D("33.34"), D("33.34")], "33.34"),    # 33.3366...
    ([D("100")], "100.00"),                             # always two places
])
def test_score_is_rounded_like_every_percentage(completions, expected):
    result = P.score(completions)
    assert result == D(expected)
    assert str(result) == expected


def test_status_waits_while_no_time_has_passed():
    """Nothing is judged at time progress 0 (issue 19): 未到考核时点, not 严重滞后; a gap
    without a target stays grey; from the first counted month the bands judge again."""
    assert P.status(Decimal("-100"), P.DEFAULT_BANDS, Decimal(0)) == P.WAIT
    assert P.status(Decimal("-100"), P.DEFAULT_BANDS, Decimal("0.00")) == P.WAIT
    assert P.status(None, P.DEFAULT_BANDS, Decimal(0)) == P.GREY
    assert P.status(Decimal("-100"), P.DEFAULT_BANDS, Decimal("8.33")) == P.RED
    assert P.status(Decimal("-100")) == P.RED                 # no time progress given
    assert P.STATUS_LABELS[P.WAIT] == "未到考核时点"
    assert P.STATUS_ORDER[P.RED] < P.STATUS_ORDER[P.WAIT] < P.STATUS_ORDER[P.GREY]
