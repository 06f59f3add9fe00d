"""开门红, 双过半, Q3 and 全年 milestone flags.

Each flag is True (met), False (missed: its due date has passed without it) or
"pending" (not yet due and not yet met). Cumulative actuals never decrease, so a
milestone already met before its due date is reported True right away.
Without a target every flag is None (nothing to judge).

- 开门红 (kaimenhong): cumulative actual at 31 March >= the Q1 checkpoint.
- 双过半 (shuangguoban): cumulative actual at 30 June >= 50% of the annual target
  (the time half is reached on 30 June by definition). 提前 (early) is judged at
  month granularity, like the month-based 时序进度: the half was reached early
  when the cumulative actual at the end of some month before June (Jan..May), or
  at ``as_of`` when ``as_of`` is still in Jan..May, was already >= 50%. Reaching
  it on 10 June is on time, not early.
- q3: cumulative actual at 30 September >= the Q3 checkpoint.
- full_year (全年完成): cumulative actual at 31 December >= the annual target.
"""
from dataclasses import dataclass
from decimal import Decimal

from .periods import quarter_end
from .progress import cumulative

PENDING = "pending"
NAMES = {
    "kaimenhong": "开门红",
    "shuangguoban": "双过半",
    "q3": "三季度",
    "full_year": "全年完成",
}


@dataclass(frozen=True)
class Milestones:
    kaimenhong: object = None
    shuangguoban: object = None
    shuangguoban_early: bool = False   # 提前实现双过半
    q3: object = None
    full_year: object = None

    def as_dict(self):
        return {"kaimenhong": self.kaimenhong, "shuangguoban": self.shuangguoban,
                "shuangguoban_early": self.shuangguoban_early, "q3": self.q3,
                "full_year": self.full_year}


NONE = Milestones()   # without a target: nothing to judge


def _flag(reached_value, goal, due, as_of):
    if reached_value >= goal:
        return True
    return PENDING if as_of < due else False


def judge(year, as_of, target, checkpoint_targets, monthly, running=None):
    """Milestones of one metric. ``monthly`` holds the 12 monthly actuals of
    ``year`` counted up to ``as_of`` (later months 0); ``running``, when given, their
    running totals (``progress.cumulative(monthly)``, already computed by the caller)."""
    if target is None:
        return NONE
    if running is None:
        running = cumulative(monthly)
    target = Decimal(target)
    half = target / 2

    def at(quarter):
        return running[3 * quarter - 1]

    kaimenhong = _flag(at(1), checkpoint_targets[0], quarter_end(year, 1), as_of)
    shuangguoban = _flag(at(2), half, quarter_end(year, 2), as_of)
    early = any(running[m - 1] >= half for m in range(1, 6))
    q3 = _flag(at(3), checkpoint_targets[2], quarter_end(year, 3), as_of)
    full_year = _flag(at(4), target, quarter_end(year, 4), as_of)
    return Milestones(kaimenhong, shuangguoban, bool(early and shuangguoban is True),
                      q3, full_year)
