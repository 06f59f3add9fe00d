"""ISO weeks (Monday-Sunday) as used by the weekly summaries. Pure: no Flask, no peewee.

A week is named by its ISO key "2026-W26". Dates are local (Asia/Shanghai) calendar
dates; the caller converts "now" to a local date first.
"""
import datetime
import re
from dataclasses import dataclass

from .periods import MAX_YEAR, MIN_YEAR

_KEY = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Week:
    year: int   # ISO year (may differ from the calendar year around New Year)
    number: int

    @property
    def key(self):
        return f"{self.year:04d}-W{self.number:02d}"

    @property
    def label(self):
        return f"{self.year}年第{self.number}周"

    @property
    def monday(self):
        return datetime.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self):
        return datetime.date.fromisocalendar(self.year, self.number, 7)

    @property
    def as_of(self):
        """Reporting date of the week: its Sunday (year-to-date figures run to it)."""
        return self.sunday

    def report_day(self, day=None):
        """The day the week's progress is judged at: ``day`` (default its Sunday), but a
        week that spans the new year (2026-W53: 28 Dec - 3 Jan) reports the year that ended,
        judged at its 31 December; the days after it belong to the next week's year."""
        day = day or self.sunday
        return min(day, datetime.date(self.monday.year, 12, 31))

    def next(self):
        return week_of(self.sunday + datetime.timedelta(days=1))

    def previous(self):
        return week_of(self.monday - datetime.timedelta(days=1))

    def __str__(self):
        return self.key


def parse_week(text):
    """"2026-W26" (also "2026W26", "2026-w26") -> Week; ValueError with a zh-CN message."""
    match = _KEY.match(text or "")
    if not match:
        raise ValueError(f"周的格式应为 YYYY-Www（例如 2026-W26），收到：{text!r}")
    year, number = int(match.group(1)), int(match.group(2))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"周的年份必须在 {MIN_YEAR} 至 {MAX_YEAR} 之间，收到：{year}。")
    try:
        datetime.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{year} 年没有第 {number} 周。") from None
    return Week(year, number)


def week_of(day):
    iso = day.isocalendar()
    return Week(iso[0], iso[1])


def last_week(today):
    """The complete week before the one containing ``today``."""
    return week_of(today).previous()


def days_into_week(day):
    """0 on Monday ... 6 on Sunday."""
    return day.isoweekday() - 1


def week_label(key):
    """A week's key as people write it: "2026-W49" -> "2026年第49周"; a value that is not a
    week key is returned unchanged (an old row, an empty filter)."""
    try:
        return parse_week(key).label
    except (TypeError, ValueError):
        return key
