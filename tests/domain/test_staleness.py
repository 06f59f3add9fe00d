"""Stale-project rule: 60 days yellow, 90 red, 180 proposed 退库."""
import datetime

import pytest

from tracker.domain import pipeline, staleness
from tracker.domain.staleness import PROPOSE_DROP, RED, YELLOW

LAST = datetime.date(2026, 1, 10)


@pytest.mark.parametrize("days, level", [
    (0, None), (1, None), (59, None),
    (60, YELLOW), (61, YELLOW), (89, YELLOW),
    (90, RED), (179, RED),
    (180, PROPOSE_DROP), (400, PROPOSE_DROP),
])
def test_level_at_day_boundaries(days, level):
    as_of = LAST + datetime.timedelta(days=days)
    assert staleness.days_silent(LAST, as_of) == days
    assert staleness.level_for(days) == level
    got, since = staleness.assess(LAST, as_of)
    assert got == level
    if level is None:
        assert since is None
    else:
        # the level began exactly its threshold after the last progress
        assert since == LAST + datetime.timedelta(days={YELLOW: 60, RED: 90,
                                                         PROPOSE_DROP: 180}[level])


def test_leap_year_counts_real_days():
    last = datetime.date(2028, 1, 1)
    # 2028 is a leap year: 60 days after 1 Jan is 1 March, not 2 March
    assert staleness.assess(last, datetime.date(2028, 2, 29)) == (None, None)
    assert staleness.assess(last, datetime.date(2028, 3, 1)) == (YELLOW, datetime.date(2028, 3, 1))


def test_progress_after_as_of_is_not_silence():
    assert staleness.days_silent(datetime.date(2026, 5, 1), datetime.date(2026, 4, 1)) == 0
    assert staleness.assess(datetime.date(2026, 5, 1), datetime.date(2026, 4, 1)) == (None, None)


def test_custom_thresholds():
    limits = staleness.Thresholds(30, 45, 100)
    assert staleness.level_for(29, limits) is None
    assert staleness.level_for(30, limits) == YELLOW
    assert staleness.level_for(45, limits) == RED
    assert staleness.level_for(100, limits) == PROPOSE_DROP
    assert staleness.assess(LAST, LAST + datetime.timedelta(days=50), limits) == (
        RED, LAST + datetime.timedelta(days=45))


@pytest.mark.parametrize("values", [(60, 60, 180), (0, 90, 180), (90, 60, 180), (60, 200, 180)])
def test_thresholds_must_grow(values):
    with pytest.raises(ValueError):
        staleness.Thresholds(*values)


def test_severity_and_labels():
    assert [staleness.severity(x) for x in (None, YELLOW, RED, PROPOSE_DROP)] == [0, 1, 2, 3]
    assert staleness.label(PROPOSE_DROP) == "建议退库"
    assert staleness.label(YELLOW) == "60天未推进"


def test_watched_stages_exclude_landed_and_dropped():
    for stage in (pipeline.RESERVE, pipeline.PACKAGED, pipeline.NEGOTIATING, pipeline.SIGNED,
                  pipeline.STARTED):
        assert staleness.is_watched(stage)
    for stage in (pipeline.PRODUCING, pipeline.AT_CAPACITY, pipeline.DROPPED):
        assert not staleness.is_watched(stage)


@pytest.mark.parametrize("value", [None, (60, 90, 180), [60, 90, 180], ["60", "90", "180"],
                                   {"yellow": 60, "red": 90, "propose_drop": 180},
                                   staleness.DEFAULT])
def test_thresholds_from_config_forms(value):
    assert staleness.Thresholds.from_config(value) == staleness.DEFAULT


def test_thresholds_from_config_must_grow():
    assert staleness.Thresholds.from_config({"yellow": 10, "red": 20, "propose_drop": 30}) \
        == staleness.Thresholds(10, 20, 30)
    with pytest.raises(ValueError):
        staleness.Thresholds.from_config((90, 60, 180))
