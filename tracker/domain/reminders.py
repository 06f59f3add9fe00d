"""督办 reminders and the 60天未推进 nudge (issue 22): which reminder, if any, a supervision item
gets on a day, when a project's owner is nudged, and the mobile number a robot @s.

The schedule, with d = today − deadline in days (the defaults in brackets; every number is a
field of :class:`Schedule`, set by the REMINDER_* settings of tracker.config):

- d = −``before_days`` [−3]: 「距办理期限还有3天」 (BEFORE); 0 turns it off;
- d = 0: 「今天到期」 (DUE) when ``on_day`` [on];
- 1 ≤ d ≤ ``daily_days`` [3]: 「已逾期d天」 every day (OVERDUE);
- then weekly: d = ``daily_days`` + k × ``every_days`` for k ≥ 1 [the 10th, 17th, 24th …
  day overdue]; ``every_days`` 0 stops after the daily ones;
- a reply pauses the OVERDUE reminders (never BEFORE or DUE): after a 进展反馈 on local day R
  there is no overdue reminder on days R, R+1 … R+``pause_days`` [R, R+1, R+2]. The daily run
  (08:30) thus skips the two days after a reply, and the reply's own day when the reply came
  before the run. A reminder that falls in the pause is skipped, not moved to a later day;
- a closed item (已办结) gets none; a reopened one (退回) is judged again from its deadline as
  if it had never been closed: it gets the reminder the schedule gives that day (the days it
  spent closed are not made up).

The nudge: a project without progress since day L turns 60天未推进 on L + ``nudge_days`` [60];
its owner is nudged once for that silence (the outbox keeps the once), on that day or, when
the run missed it, within ``nudge_late_days`` [7] after it -- a project that was already long
silent when reminders were switched on is not nudged for an old silence.

Pure rules: no Flask, no database.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass

BEFORE, DUE, OVERDUE = "before", "due", "overdue"
KINDS = {BEFORE: "即将到期", DUE: "今天到期", OVERDUE: "已逾期"}


@dataclass(frozen=True)
class Schedule:
    before_days: int = 3        # the reminder this many days before the deadline (0: none)
    on_day: bool = True         # a reminder on the deadline itself
    daily_days: int = 3         # overdue: every day for the first N days
    every_days: int = 7         # ... then every N days (0: none after the daily ones)
    pause_days: int = 2         # a reply pauses overdue reminders on its day and the N days after
    nudge_days: int = 60        # 60天未推进: days without progress that nudge the project's owner
    nudge_late_days: int = 7    # a missed nudge is still sent this many days after the turn

    def __post_init__(self):
        for name in ("before_days", "daily_days", "every_days", "pause_days"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"reminder setting {name} must not be negative")
        if self.nudge_days < 1 or self.nudge_late_days < 1:
            raise ValueError("reminder nudge days must be at least 1")


DEFAULT = Schedule()


@dataclass(frozen=True)
class Reminder:
    kind: str       # BEFORE | DUE | OVERDUE
    days: int       # days to the deadline (BEFORE), 0 (DUE) or days overdue (OVERDUE)

    @property
    def label(self):
        if self.kind == BEFORE:
            return f"距办理期限还有{self.days}天"
        if self.kind == OVERDUE:
            return f"已逾期{self.days}天"
        return KINDS[DUE]


def overdue_day(days, schedule=DEFAULT):
    """Whether the ``days``-th day overdue (≥ 1) has a reminder, before any pause."""
    if days < 1:
        return False
    if days <= schedule.daily_days:
        return True
    extra = days - schedule.daily_days
    return bool(schedule.every_days) and extra % schedule.every_days == 0


def paused(last_reply_on, today, schedule=DEFAULT):
    """Whether a reply on ``last_reply_on`` (a local date or None) pauses ``today``."""
    if last_reply_on is None:
        return False
    return 0 <= (today - last_reply_on).days <= schedule.pause_days


def reminder_on(deadline, today, closed=False, last_reply_on=None, schedule=DEFAULT):
    """The Reminder an item with ``deadline`` gets on ``today``, or None (see the module)."""
    if closed:
        return None
    days = (today - deadline).days
    if days < 0:
        ahead = -days
        return Reminder(BEFORE, ahead) if schedule.before_days and ahead == schedule.before_days else None
    if days == 0:
        return Reminder(DUE, 0) if schedule.on_day else None
    if overdue_day(days, schedule) and not paused(last_reply_on, today, schedule):
        return Reminder(OVERDUE, days)
    return None


def earliest_deadline(today, schedule=DEFAULT):
    """No item with a deadline after this day gets a reminder on ``today``."""
    return today + datetime.timedelta(days=schedule.before_days)


def nudge_turn(silent_since, schedule=DEFAULT):
    """The day a project without progress since ``silent_since`` turns 60天未推进."""
    return silent_since + datetime.timedelta(days=schedule.nudge_days)


def nudge_due(silent_since, today, schedule=DEFAULT):
    """Whether the nudge of the silence that began on ``silent_since`` is due on ``today``:
    from the turn until ``nudge_late_days`` later (exclusive)."""
    turn = nudge_turn(silent_since, schedule)
    return turn <= today < turn + datetime.timedelta(days=schedule.nudge_late_days)


# -- the mobile number a group robot @s -------------------------------------------------------

MOBILE_LENGTH = 11
BAD_MOBILE = "请填写11位中国大陆手机号码（如 13800138000），或留空。"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]+")


def clean_mobile(value):
    """(the mobile as 11 digits or None when empty, error message or None). Full-width digits,
    spaces, hyphens and a +86 / 86 prefix are accepted as people type them."""
    value = unicodedata.normalize("NFKC", str(value or ""))
    value = _SEPARATORS.sub("", value)
    if not value:
        return None, None
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == MOBILE_LENGTH + 2:
        value = value[2:]
    if not _MOBILE.fullmatch(value):
        return None, BAD_MOBILE
    return value, None
