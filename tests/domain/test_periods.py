import datetime
from decimal import Decimal

import pytest

from tracker.domain import periods

D = datetime.date


@pytest.mark.parametrize("as_of, month_pct, day_pct", [
    (D(2025, 12, 31), "0.00", "0.00"),      # before the year
    (D(2026, 1, 1), "0.00", "0.27"),        # 1/365
    (D(2026, 1, 30), "0.00", "8.22"),
    (D(2026, 1, 31), "8.33", "8.49"),       # a month counts on its last day
    (D(2026, 2, 28), "16.67", "16.16"),     # 59/365
    (D(2026, 3, 31), "25.00", "24.66"),
    (D(2026, 6, 29), "41.67", "49.32"),     # mid-month: June not yet counted (180/365)
    (D(2026, 6, 30), "50.00", "49.59"),     # 181/365
    (D(2026, 9, 30), "75.00", "74.79"),
    (D(2026, 12, 30), "91.67", "99.73"),
    (D(2026, 12, 31), "100.00", "100.00"),
    (D(2027, 3, 1), "100.00", "100.00"),    # after the year
])
def test_time_progress_common_year(as_of, month_pct, day_pct):
    assert periods.time_progress(2026, as_of) == Decimal(month_pct)
    assert periods.time_progress(2026, as_of, periods.DAY) == Decimal(day_pct)


@pytest.mark.parametrize("as_of, month_pct, day_pct", [
    (D(2028, 2, 28), "8.33", "16.12"),      # 2028 is leap: February ends on the 29th
    (D(2028, 2, 29), "16.67", "16.39"),     # 60/366
    (D(2028, 6, 30), "50.00", "49.73"),     # 182/366
    (D(2028, 12, 31), "100.00", "100.00"),
])
def test_time_progress_leap_year(as_of, month_pct, day_pct):
    assert periods.time_progress(2028, as_of) == Decimal(month_pct)
    assert periods.time_progress(2028, as_of, periods.DAY) == Decimal(day_pct)


def test_time_progress_rejects_unknown_precision():
    with pytest.raises(ValueError):
        periods.time_progress(2026, D(2026, 5, 1), "week")


@pytest.mark.parametrize("day, quarter", [
    (D(2026, 1, 1), 1), (D(2026, 3, 31), 1), (D(2026, 4, 1), 2), (D(2026, 6, 30), 2),
    (D(2026, 7, 1), 3), (D(2026, 9, 30), 3), (D(2026, 10, 1), 4), (D(2026, 12, 31), 4),
])
def test_quarter_of(day, quarter):
    assert periods.quarter_of(day) == quarter


def test_quarter_bounds_and_keys():
    assert periods.quarter_start(2026, 3) == D(2026, 7, 1)
    assert periods.quarter_end(2026, 1) == D(2026, 3, 31)
    assert periods.quarter_end(2026, 2) == D(2026, 6, 30)
    assert periods.quarter_months(4) == (10, 11, 12)
    assert periods.quarter_key(2026, 3) == "2026Q3"
    assert periods.parse_quarter_key("2026q3") == (2026, 3)
    assert periods.previous_quarter(2026, 1) == (2025, 4)
    assert periods.previous_quarter(2026, 3) == (2026, 2)
    for bad in ("2026Q5", "2026", "Q1", None):
        with pytest.raises(ValueError):
            periods.parse_quarter_key(bad)


@pytest.mark.parametrize("as_of, closed, open_", [
    (D(2026, 3, 30), (), (1, 2, 3, 4)),
    (D(2026, 3, 31), (1,), (2, 3, 4)),
    (D(2026, 8, 15), (1, 2), (3, 4)),
    (D(2026, 12, 31), (1, 2, 3, 4), ()),
])
def test_closed_and_open_quarters(as_of, closed, open_):
    assert periods.closed_quarters(2026, as_of) == closed
    assert periods.open_quarters(2026, as_of) == open_


def test_month_bounds_stop_at_as_of():
    bounds = periods.month_bounds(2026, D(2026, 3, 10))
    assert bounds == [(1, D(2026, 1, 1), D(2026, 1, 31)), (2, D(2026, 2, 1), D(2026, 2, 28)),
                      (3, D(2026, 3, 1), D(2026, 3, 10))]
    assert periods.month_bounds(2026, D(2025, 12, 31)) == []
    assert len(periods.month_bounds(2026, D(2030, 1, 1))) == 12
    assert periods.month_bounds(2028, D(2028, 12, 31))[1][2] == D(2028, 2, 29)


@pytest.mark.parametrize("as_of", [D(2026, 1, 15), D(2026, 6, 30), D(2026, 9, 17),
                                   D(2026, 12, 31), D(2027, 2, 1)])
@pytest.mark.parametrize("precision", periods.PRECISIONS)
def test_quarter_views_judge_each_quarter_at_its_end_or_as_of(as_of, precision):
    views = periods.quarter_views(2026, as_of, precision)
    assert [v[0] for v in views] == [1, 2, 3, 4]
    for q, key, closed, tp in views:
        end = periods.quarter_end(2026, q)
        assert key == periods.quarter_key(2026, q)
        assert closed == (q in periods.closed_quarters(2026, as_of))
        assert tp == periods.time_progress(2026, min(end, as_of), precision)


# --- the year a results page opens on (issue 19, the year's turn) -----------------------

@pytest.mark.parametrize("today, year", [
    (datetime.date(2027, 1, 1), 2026),     # New Year's Day: last year's 全年 is what people need
    (datetime.date(2027, 1, 5), 2026),
    (datetime.date(2027, 3, 30), 2026),
    (datetime.date(2027, 3, 31), 2027),    # the first checkpoint of the new year
    (datetime.date(2027, 7, 1), 2027),
    (datetime.date(2026, 12, 31), 2026),
])
def test_reporting_year(today, year):
    assert periods.reporting_year(today) == year
