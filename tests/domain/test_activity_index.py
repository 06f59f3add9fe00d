"""招商活跃指数 by hand (issue 21): kind weights, the leader and top-tier multipliers, the
week's ledger outcomes, funds per 亿元; weeks are ISO weeks."""
import datetime
from decimal import Decimal

from tracker.domain import activity_index as rules

W = rules.DEFAULT_WEIGHTS


def test_a_small_week_by_hand():
    counts = {("visit", True, True): 1,      # 3 × 1.5 × 1.5 = 6.75
              ("call", False, False): 2,     # 1 × 2 = 2
              ("promotion", False, True): 1}  # 3 × 1.5 = 4.5
    outcomes = {"packaged": 1, "signed": 1, "funds_wan": Decimal("15000")}   # 2 + 5 + 1.5 亿 × 2 = 10
    assert rules.score(counts, outcomes, W) == Decimal("23.3")   # 13.25 + 10 = 23.25 → 23.3


def test_missing_weights_count_nothing_and_multipliers_default_to_one():
    assert rules.score({("visit", True, True): 2}, {}, {"visit": 2}) == Decimal("4.0")
    assert rules.score({("other", False, False): 5}, {"started": 3}, {}) == Decimal("0.0")


def test_weeks_are_iso_weeks_and_the_shown_ones_are_complete():
    wednesday = datetime.date(2026, 12, 9)
    assert rules.week_start(wednesday) == datetime.date(2026, 12, 7)
    assert rules.week_start(datetime.date(2027, 1, 1)) == datetime.date(2026, 12, 28)   # W53
    weeks = rules.last_complete_weeks(wednesday)
    assert len(weeks) == 12 and weeks[-1] == datetime.date(2026, 11, 30)
    assert all(b - a == datetime.timedelta(weeks=1) for a, b in zip(weeks, weeks[1:]))


def test_top_tier_tags_and_the_formula_names_every_weight():
    assert rules.top_tier(["央企"]) and rules.top_tier(["世界500强", "外资"]) and not rules.top_tier(["外资", ""])
    text = rules.formula(W)
    assert "外出拜访3" in text and "市领导带队×1.5" in text and "签约5" in text and "已作废的记录不计" in text
