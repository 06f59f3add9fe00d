import datetime
from decimal import Decimal

import pytest

from tracker.domain import milestones as MS
from tracker.domain import progress as P

D = datetime.date
P_ = MS.PENDING
TARGET = Decimal(100)
CPS = P.checkpoints(TARGET)   # 25 / 50 / 75 / 100


def months(**by_month):
    """12 monthly amounts from m1=..., m2=... keywords."""
    return tuple(Decimal(by_month.get(f"m{i}", 0)) for i in range(1, 13))


@pytest.mark.parametrize("name, as_of, monthly, expected", [
    # (kaimenhong, shuangguoban, early, q3, full_year)
    ("nothing yet, all pending", D(2026, 2, 15), months(m1=5), (P_, P_, False, P_, P_)),
    ("Q1 met before 31 March", D(2026, 3, 10), months(m1=10, m3=15), (True, P_, False, P_, P_)),
    ("Q1 missed at 31 March", D(2026, 3, 31), months(m1=10, m3=14), (False, P_, False, P_, P_)),
    ("half reached in May: early", D(2026, 5, 31), months(m1=30, m5=20),
     (True, True, True, P_, P_)),
    ("half reached on as_of in April: early", D(2026, 4, 20), months(m1=30, m4=25),
     (True, True, True, P_, P_)),
    ("half reached in June: on time", D(2026, 6, 30), months(m1=30, m6=20),
     (True, True, False, P_, P_)),
    ("half missed", D(2026, 7, 1), months(m1=30, m6=19, m7=5), (True, False, False, P_, P_)),
    ("Q3 met, year pending", D(2026, 10, 5), months(m2=80), (True, True, True, True, P_)),
    ("Q3 missed", D(2026, 9, 30), months(m9=74), (False, False, False, False, P_)),
    ("full year met in December", D(2026, 12, 31), months(m12=100),
     (False, False, False, False, True)),
    ("full year missed", D(2027, 1, 10), months(m12=99), (False, False, False, False, False)),
])
def test_milestones(name, as_of, monthly, expected):
    result = MS.judge(2026, as_of, TARGET, CPS, monthly)
    assert (result.kaimenhong, result.shuangguoban, result.shuangguoban_early, result.q3,
            result.full_year) == expected, name


def test_kaimenhong_uses_configured_q1_checkpoint():
    cps = P.checkpoints(TARGET, (Decimal(10), Decimal(50), Decimal(75), Decimal(100)))
    result = MS.judge(2026, D(2026, 3, 31), TARGET, cps, months(m2=12))
    assert result.kaimenhong is True


def test_no_target_means_nothing_to_judge():
    result = MS.judge(2026, D(2026, 12, 31), None, (None,) * 4, months(m1=5))
    assert result == MS.Milestones()
    assert result.as_dict()["kaimenhong"] is None


def test_running_totals_given_by_the_caller_judge_the_same():
    monthly = months(m1=10, m2=20, m5=30, m7=5)
    for as_of in (D(2026, 3, 31), D(2026, 5, 31), D(2026, 9, 30), D(2026, 12, 31)):
        assert MS.judge(2026, as_of, TARGET, CPS, monthly, P.cumulative(monthly)) \
            == MS.judge(2026, as_of, TARGET, CPS, monthly)
