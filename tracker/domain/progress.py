"""Pure progress rules: checkpoints, completion, 超/欠进度, status colours, catch-up.

Amounts are Decimals (万元, or a count for ``negotiations``); percentages are
Decimals in percent with 2 places (see periods.pct). Monthly actuals are a
12-tuple of amounts, one per calendar month (months not yet started are 0).
"""
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .periods import HUNDRED, QUARTERS, pct

CENT = Decimal("0.01")
DEFAULT_SHARES = (Decimal(25), Decimal(50), Decimal(75), Decimal(100))

GREEN, YELLOW, ORANGE, RED, GREY = "green", "yellow", "orange", "red", "grey"
# Not judged yet: the time progress is 0 (the first month of the year, month-based), so a
# gap says nothing (five days of January against five days of last year is not 严重滞后).
WAIT = "wait"
STATUSES = (GREEN, YELLOW, ORANGE, RED, GREY, WAIT)
STATUS_LABELS = {
    GREEN: "达到进度",
    YELLOW: "略欠进度",
    ORANGE: "欠进度",
    RED: "严重滞后",
    GREY: "未设目标",
    WAIT: "未到考核时点",
}
# The one definition of the status colours (RGB hex). Everything else derives from it:
# the spreadsheet exports fill status cells with them; tracker.charts and the mail macros
# (templates/email/_macros.html, through the ``status_colours`` template global) read them;
# static/style.css (:root --green ...) repeats them for the pages, guarded by
# tests/test_contrast.py and tests/services/test_progress_export.py (a static file served
# by nginx with a year-long fingerprinted cache has no build step to generate it from).
# Each is the background of white status text (STATUS_TEXT) at 12-13 px, so each keeps a
# WCAG contrast of at least 4.5:1 against it and against the page backgrounds when used
# as text (tests/test_contrast.py computes every pair).
STATUS_COLOURS = {
    GREEN: "15803D",
    YELLOW: "A16207",
    ORANGE: "C2410C",
    RED: "D02020",
    GREY: "616E7C",
    WAIT: "616E7C",
}
STATUS_TEXT = "FFFFFF"
# The backgrounds the status colours appear on as text (cards, the page).
PAGE_BACKGROUNDS = ("FFFFFF", "F5F7FA")
# Worst first: how a task force's status (its worst metric) is chosen and sorted.
STATUS_ORDER = {RED: 0, ORANGE: 1, YELLOW: 2, GREEN: 3, WAIT: 4, GREY: 5}
# 红黄预警: the one set of statuses a warning lists, worst first (red 严重滞后 and orange, the
# two colours behind by more than the yellow band). The 通报, the weekly mail and the
# dashboard all read it; yellow (略欠进度) is never a warning.
WARNING_STATUSES = (RED, ORANGE)


def css_colour(status):
    """``#rrggbb`` of a status (grey for an unknown one)."""
    return "#" + STATUS_COLOURS.get(status, STATUS_COLOURS[GREY]).lower()


def luminance(hex_colour):
    """WCAG 2 relative luminance of ``RRGGBB`` (a leading # is allowed)."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first, second):
    """WCAG 2 contrast ratio of two colours (1..21)."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def amount(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value):
    """``value`` as a Decimal (no copy when it already is one)."""
    return value if type(value) is Decimal else Decimal(value)


@dataclass(frozen=True)
class StatusBands:
    """Lower bounds (in gap points) of each colour: gap >= green -> green,
    gap >= yellow -> yellow, gap >= orange -> orange, else red."""
    green: Decimal = Decimal(0)
    yellow: Decimal = Decimal(-10)
    orange: Decimal = Decimal(-30)

    def __post_init__(self):
        if not (self.green >= self.yellow >= self.orange):
            raise ValueError("status bands must satisfy green >= yellow >= orange")

    @classmethod
    def from_config(cls, value):
        """None, a StatusBands, or a mapping/sequence of the three bounds."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls(**{k: Decimal(str(v)) for k, v in value.items()})
        return cls(*(Decimal(str(v)) for v in value))


DEFAULT_BANDS = StatusBands()


def completion(actual, target):
    """完成率 in percent; None when there is no (positive) target."""
    if target is None or target <= 0:
        return None
    return pct(Decimal(actual) * HUNDRED / Decimal(target))


def gap_points(completion_pct, time_pct):
    """超/欠进度: completion minus time progress, in points (None without completion)."""
    if completion_pct is None:
        return None
    return pct(completion_pct - time_pct)


# 综合完成率 (the ranking): each metric's completion counts at most this many percent, so
# one metric far over its target (e.g. 208,000 %) cannot decide the ranking alone.
DEFAULT_RANKING_CAP = Decimal(120)
SCORE_FORMULA = "综合完成率 = 各项有目标指标的完成率（每项最多计 {cap}%）的平均值"


def score(completions, cap=DEFAULT_RANKING_CAP):
    """Mean of the completions (percent) each capped at ``cap``; None when there is none."""
    values = [min(Decimal(c), Decimal(cap)) for c in completions if c is not None]
    if not values:
        return None
    return pct(sum(values, Decimal(0)) / len(values))


def status(gap, bands=DEFAULT_BANDS, time_progress=None):
    """Colour for a gap in points; grey when there is none (no target); WAIT (未到考核时点)
    when ``time_progress`` is given and is 0: nothing is judged before time has passed."""
    if gap is None:
        return GREY
    if time_progress is not None and not time_progress:
        return WAIT
    if gap >= bands.green:
        return GREEN
    if gap >= bands.yellow:
        return YELLOW
    if gap >= bands.orange:
        return ORANGE
    return RED


def validate_shares(shares):
    """Error message for cumulative checkpoint shares, or None when valid.

    Four percentages, each 0..100, never decreasing, the last exactly 100.
    """
    try:
        shares = tuple(Decimal(s) for s in shares)
    except Exception:  # noqa: BLE001 - any junk is simply invalid
        return "节点比例必须是数字。"
    if len(shares) != 4:
        return "必须填写四个季度的累计比例。"
    if any(s < 0 or s > 100 for s in shares):
        return "累计比例必须在 0 到 100 之间。"
    if any(b < a for a, b in zip(shares, shares[1:])):
        return "累计比例必须逐季不减。"
    if shares[3] != 100:
        return "第四季度累计比例必须为 100%。"
    return None


def checkpoints(target, shares=DEFAULT_SHARES):
    """Cumulative checkpoint targets at the end of Q1..Q4 (None without a target)."""
    if target is None:
        return (None, None, None, None)
    return tuple(amount(Decimal(target) * Decimal(s) / HUNDRED) for s in shares)


def cumulative(monthly):
    """Running totals of 12 monthly amounts."""
    out, total = [], Decimal(0)
    for value in monthly:   # a report runs this for every task force and metric: kept lean
        total += _decimal(value)
        out.append(total.quantize(CENT, rounding=ROUND_HALF_UP))
    return tuple(out)


def quarter_totals(monthly):
    """Amount added in each quarter (Q1..Q4) from 12 monthly amounts."""
    return tuple(amount(sum(map(_decimal, monthly[3 * q - 3:3 * q]), Decimal(0)))
                 for q in QUARTERS)


def quarter_cumulative(monthly):
    """Cumulative amount at the end of each quarter."""
    running = cumulative(monthly)
    return tuple(running[3 * q - 1] for q in QUARTERS)


@dataclass(frozen=True)
class CatchUp:
    """追赶目标 for one open quarter.

    needed: what must still be added within that quarter (from ``as_of`` for the
    current quarter) to reach its cumulative checkpoint, assuming every earlier
    open quarter exactly reaches its own checkpoint; never negative.
    even_split: the remaining annual target spread evenly over the open quarters.
    """
    quarter: int
    checkpoint: Decimal
    needed: Decimal
    even_split: Decimal


def catch_up(target, checkpoint_targets, actual_to_date, open_qs):
    """Catch-up targets for the open quarters (empty without a target)."""
    if target is None or not open_qs:
        return ()
    remaining = max(Decimal(target) - Decimal(actual_to_date), Decimal(0))
    even = amount(remaining / len(open_qs))
    reached = Decimal(actual_to_date)
    out = []
    for q in open_qs:
        cp = checkpoint_targets[q - 1]
        needed = max(cp - reached, Decimal(0))
        out.append(CatchUp(q, cp, amount(needed), even))
        reached = max(reached, cp)
    return tuple(out)
