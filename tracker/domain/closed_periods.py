"""Closed periods (docs/design.md, Closed periods): once a quarter has ended, its figures
were reported and its snapshot frozen. A write that would change a figure of such a
quarter (an amount in force then corrected, a 变更 or an event dated into it, a void)
is judged here, for every entry type alike:

- ``OPEN``: nothing it touches lies before the current quarter — written at once;
- ``DIRECT``: the 商务局 or an administrator writes it, with a stated reason; the frozen
  snapshot keeps its number and the pages show the ledger's current value beside it;
- ``REQUEST``: anyone else files a 更正申请 with a reason; nothing changes until the
  bureau approves it.

Pure rules: no Flask, no database.
"""

from . import periods

OPEN, DIRECT, REQUEST = "open", "direct", "request"
REASON_MAX = 500

NEED_REQUEST_REASON = ("日期 {day} 在已结束的{quarter}内，会改变已报送的统计：请填写原因提交更正申请，"
                       "商务局审核通过后才写入台账。")
NEED_DIRECT_REASON = ("日期 {day} 在已结束的{quarter}内：请填写补录原因。已冻结的季度快照保留原数，"
                      "页面另显示台账补录后的当前值。")


def current_quarter_start(today):
    """First day of ``today``'s quarter: a date before it lies in a closed quarter."""
    return periods.quarter_start(today.year, periods.quarter_of(today))


def in_closed(day, today):
    return day is not None and day < current_quarter_start(today)


def earliest_closed(days, today):
    """The earliest of ``days`` (None entries ignored) in a closed quarter, or None."""
    closed = [d for d in days if in_closed(d, today)]
    return min(closed) if closed else None


def verdict(days, today, *, sees_all):
    """(OPEN | DIRECT | REQUEST, the earliest closed day or None) for a write touching ``days``.
    ``sees_all``: the writer is the 商务局 or an administrator."""
    day = earliest_closed(days, today)
    if day is None:
        return OPEN, None
    return (DIRECT if sees_all else REQUEST), day


def quarter_name(day):
    """"2025年四季度" for a date of that quarter."""
    return f"{day.year}年{'一二三四'[periods.quarter_of(day) - 1]}季度"


def reason_message(kind, day):
    """The message asking for a reason when ``kind`` (DIRECT / REQUEST) has none."""
    template = NEED_REQUEST_REASON if kind == REQUEST else NEED_DIRECT_REASON
    return template.format(day=day.isoformat(), quarter=quarter_name(day))


def amount_days(reached_on, last_change_on, kind, effective_on):
    """The dates on which an edit of an amount changes the value counted for it.

    ``reached_on``: the date the amount is counted on (策划包装 for 计划投资额, 签约 for
    签约额; None when the project has not reached it: nothing counted, nothing touched).
    A 更正 (``kind`` "correction") replaces the value in force since the last 变更
    (``last_change_on``, None for none): it touches ``reached_on`` unless a later 变更
    already took over there. A 变更 from ``effective_on`` touches ``reached_on`` when that
    lies on or after it."""
    if reached_on is None:
        return []
    if kind == "change":
        return [reached_on] if effective_on is not None and reached_on >= effective_on else []
    if last_change_on is not None and last_change_on > reached_on:
        return []
    return [reached_on]

