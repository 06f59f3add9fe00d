"""招商活跃指数 (issue 21): a task force's week of work in one number.

Each activity of the week scores its kind's weight (a 外出拜访 or 推介会 weighs more than a call),
times the leader multiplier when a city leader led it and the tier multiplier when the
counterpart is a 央企 or a 500强; the week's outcomes in the ledger add their weights (each
project packaged, reaching 洽谈, signed, started; each 亿元 of funds received). Voided
entries never count. Weights come from config (ACTIVITY_WEIGHTS); missing keys weigh 0.

Pure rules: no Flask, no database.
"""
import datetime
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_WEIGHTS = {
    "visit": 3, "reception": 2, "call": 1, "inspection": 2, "promotion": 3, "signing": 4, "other": 1,
    "leader_led": 1.5, "top_tier": 1.5,
    "packaged": 2, "negotiating": 2, "signed": 5, "started": 5, "funds_yi": 2,
}
OUTCOMES = ("packaged", "negotiating", "signed", "started")
OUTCOME_LABELS = {"packaged": "策划包装", "negotiating": "进入洽谈", "signed": "签约", "started": "开工",
                  "funds_yi": "到位资金（每亿元）"}
TOP_TIERS = ("央企", "世界500强", "中国500强", "民营500强")
WEEKS_SHOWN = 12
QUIET_WEEKS = 3      # a team with no activity for this many weeks is flagged
TENTH = Decimal("0.1")


def week_start(day):
    """The Monday of ``day``'s ISO week."""
    return day - datetime.timedelta(days=day.weekday())


def last_complete_weeks(today, count=WEEKS_SHOWN):
    """The Mondays of the ``count`` complete weeks before ``today``'s week, oldest first."""
    this_week = week_start(today)
    return [this_week - datetime.timedelta(weeks=n) for n in range(count, 0, -1)]


def top_tier(tags):
    return any(tag in TOP_TIERS for tag in tags)


def activity_points(kind, leader_led, top, weights):
    points = Decimal(str(weights.get(kind, 0)))
    if leader_led:
        points *= Decimal(str(weights.get("leader_led", 1)))
    if top:
        points *= Decimal(str(weights.get("top_tier", 1)))
    return points


def score(counts, outcomes, weights):
    """The week's index: ``counts`` {(kind, leader_led, top): n} of its activities,
    ``outcomes`` {packaged/negotiating/signed/started: n, "funds_wan": 万元}. One decimal."""
    total = sum((activity_points(kind, leader, top, weights) * n
                 for (kind, leader, top), n in counts.items()), Decimal(0))
    for name in OUTCOMES:
        total += Decimal(str(weights.get(name, 0))) * outcomes.get(name, 0)
    funds_yi = Decimal(str(outcomes.get("funds_wan", 0))) / Decimal(10000)
    total += Decimal(str(weights.get("funds_yi", 0))) * funds_yi
    return total.quantize(TENTH, rounding=ROUND_HALF_UP)


def formula(weights):
    """The formula in words, for the page."""
    kinds = "、".join(f"{label}{weights.get(kind, 0)}" for kind, label in (
        ("visit", "外出拜访"), ("reception", "企业来访"), ("call", "电话/视频洽谈"), ("inspection", "实地考察"),
        ("promotion", "推介会"), ("signing", "签约仪式"), ("other", "其他")))
    outcomes = "、".join(f"{OUTCOME_LABELS[k]}{weights.get(k, 0)}" for k in (*OUTCOMES, "funds_yi"))
    return (f"每条跟进记录按方式计分（{kinds}），市领导带队×{weights.get('leader_led', 1)}，"
            f"对接央企/500强×{weights.get('top_tier', 1)}；另加当周台账成果（{outcomes}）。已作废的记录不计。")
