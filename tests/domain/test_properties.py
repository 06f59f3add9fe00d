"""Property tests of the pure progress rules."""
import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tracker.domain import milestones as MS
from tracker.domain import periods, pipeline
from tracker.domain import progress as P

amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False,
                      allow_infinity=False)
days_2026 = st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2026, 12, 31))


def upto(monthly, year, as_of):
    """Monthly actuals as seen at ``as_of``: months not yet started are 0."""
    started = periods.months_elapsed(year, as_of) + (0 if as_of >= periods.year_end(year)
                                                     else 1)
    return tuple(m if i < started else Decimal(0) for i, m in enumerate(monthly))


@given(st.lists(amounts, min_size=12, max_size=12))
def test_cumulative_never_decreases(monthly):
    running = P.cumulative(monthly)
    assert all(b >= a for a, b in zip(running, running[1:]))
    assert running[-1] == P.amount(sum(monthly))
    assert sum(P.quarter_totals(monthly)) == running[-1]


@given(days_2026, days_2026, st.sampled_from(periods.PRECISIONS))
def test_time_progress_never_decreases(a, b, precision):
    a, b = sorted((a, b))
    assert periods.time_progress(2026, a, precision) <= periods.time_progress(2026, b, precision)


@given(st.lists(amounts, min_size=12, max_size=12), days_2026, days_2026,
       st.decimals(min_value=1, max_value=10**7, places=2))
def test_a_met_milestone_stays_met(monthly, a, b, target):
    """Judged later with more data, a milestone met earlier is still met, and a
    missed one never turns back to pending."""
    a, b = sorted((a, b))
    cps = P.checkpoints(target)
    early = MS.judge(2026, a, target, cps, upto(monthly, 2026, a)).as_dict()
    late = MS.judge(2026, b, target, cps, upto(monthly, 2026, b)).as_dict()
    for key in ("kaimenhong", "shuangguoban", "q3", "full_year"):
        if early[key] is True:
            assert late[key] is True
        if early[key] is False:
            assert late[key] is False
    if early["shuangguoban_early"]:
        assert late["shuangguoban_early"]


moves = st.lists(st.tuples(st.sampled_from(pipeline.STAGES),
                           st.dates(min_value=datetime.date(2024, 1, 1),
                                    max_value=datetime.date(2027, 12, 31))),
                 max_size=12)


@given(moves)
def test_a_project_counts_at_most_once_per_stage(history):
    """Whatever the order of moves (undo, redo, back-dated events), each stage
    has a single first-reached date, so the project counts in one period only."""
    first = {}
    for stage, on in history:
        for st_, day in pipeline.first_reached_updates(first, stage, on).items():
            assert first.get(st_) is None or day < first[st_]  # only ever earlier
            first[st_] = day
    for day in first.values():
        counted_years = [y for y in range(2024, 2028)
                         if periods.year_start(y) <= day <= periods.year_end(y)]
        assert len(counted_years) == 1
