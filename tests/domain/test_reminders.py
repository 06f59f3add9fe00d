"""督办 reminders worked out by hand around one deadline, Thursday 10 December 2026:

    12-07 (Mon)  d=-3  即将到期 (3 days before)
    12-10 (Thu)  d=0   今天到期
    12-11..12-13 d=1..3 已逾期, daily
    12-20, 12-27 d=10, 17 已逾期, weekly (3 + 7k)
    every other day of December: nothing

then the same month with a reply pausing, a close stopping and a reopen resuming, a schedule
of other numbers, the 60天未推进 nudge and the mobile number."""
import datetime

import pytest

from tracker.domain import reminders as R

DEADLINE = datetime.date(2026, 12, 10)
DECEMBER = [datetime.date(2026, 12, d) for d in range(1, 32)]


def day(n):
    return datetime.date(2026, 12, n)


def calendar(schedule=R.DEFAULT, events=()):
    """{day of month: (kind, days)} of December for an item with DEADLINE; ``events``:
    [(day of month, "reply" | "close" | "reopen")] happening BEFORE that day's run."""
    out, closed, last_reply = {}, False, None
    happened = dict(events)
    for today in DECEMBER:
        event = happened.get(today.day)
        if event == "reply":
            last_reply = today
        closed = {"close": True, "reopen": False}.get(event, closed)
        found = R.reminder_on(DEADLINE, today, closed=closed, last_reply_on=last_reply, schedule=schedule)
        if found:
            out[today.day] = (found.kind, found.days)
    return out


PLAIN = {7: ("before", 3), 10: ("due", 0), 11: ("overdue", 1), 12: ("overdue", 2), 13: ("overdue", 3),
         20: ("overdue", 10), 27: ("overdue", 17)}


def test_the_plain_schedule_around_the_deadline():
    assert calendar() == PLAIN


def test_the_labels():
    assert [R.reminder_on(DEADLINE, day(n)).label for n in (7, 10, 12)] == [
        "距办理期限还有3天", "今天到期", "已逾期2天"]


def test_a_reply_on_the_deadline_pauses_the_next_two_days():
    # reply on 12-10 (before the run): the deadline's own reminder still goes (not an overdue
    # one), 12-11 and 12-12 are paused, 12-13 resumes.
    expected = dict(PLAIN)
    del expected[11], expected[12]
    assert calendar(events=[(10, "reply")]) == expected


def test_a_reply_while_overdue_pauses_its_day_and_two_more_and_nothing_is_moved():
    # reply on 12-12 seen by that day's run: 12-12, 12-13 (and 12-14, no reminder day anyway)
    # paused; the weekly 12-20 is not affected.
    expected = dict(PLAIN)
    del expected[12], expected[13]
    assert calendar(events=[(12, "reply")]) == expected
    # a reply on 12-18 pauses 12-18..12-20: the weekly reminder of 12-20 is skipped, not moved
    expected = dict(PLAIN)
    del expected[20]
    assert calendar(events=[(18, "reply")]) == expected
    assert R.paused(day(18), day(20)) and not R.paused(day(18), day(21)) and not R.paused(None, day(20))


def test_a_reply_before_the_deadline_does_not_pause_the_before_or_due_reminders():
    assert calendar(events=[(6, "reply")]) == PLAIN
    assert calendar(events=[(9, "reply")]) == {k: v for k, v in PLAIN.items() if k != 11}


def test_a_close_stops_them_and_a_reopen_resumes_from_the_deadline():
    assert calendar(events=[(11, "close")]) == {7: ("before", 3), 10: ("due", 0)}
    # reopened on 12-18: 12-18, 12-19 nothing (no reminder day), the weekly 12-20 comes again
    assert calendar(events=[(11, "close"), (18, "reopen")]) == {
        7: ("before", 3), 10: ("due", 0), 20: ("overdue", 10), 27: ("overdue", 17)}
    # reopened on a daily day: that day's reminder is sent
    assert calendar(events=[(11, "close"), (13, "reopen")])[13] == ("overdue", 3)


def test_every_number_comes_from_the_schedule():
    other = R.Schedule(before_days=5, on_day=False, daily_days=2, every_days=3, pause_days=0)
    assert calendar(other) == {5: ("before", 5), 11: ("overdue", 1), 12: ("overdue", 2), 15: ("overdue", 5),
                               18: ("overdue", 8), 21: ("overdue", 11), 24: ("overdue", 14),
                               27: ("overdue", 17), 30: ("overdue", 20)}
    # pause 0 days: only the reply's own day
    assert 12 not in calendar(other, [(12, "reply")]) and 15 in calendar(other, [(14, "reply")])
    none = R.Schedule(before_days=0, on_day=False, daily_days=0, every_days=0)
    assert calendar(none) == {}
    assert R.earliest_deadline(day(1)) == day(4)


@pytest.mark.parametrize("bad", [dict(before_days=-1), dict(every_days=-7), dict(nudge_days=0),
                                 dict(nudge_late_days=0)])
def test_a_bad_schedule_is_refused(bad):
    with pytest.raises(ValueError):
        R.Schedule(**bad)


def test_the_nudge_turns_on_the_sixtieth_day_and_waits_a_week_at_most():
    last = datetime.date(2026, 10, 9)      # 9 October + 60 days = 8 December
    assert R.nudge_turn(last) == day(8)
    assert [n for n in range(1, 32) if R.nudge_due(last, day(n))] == [8, 9, 10, 11, 12, 13, 14]
    short = R.Schedule(nudge_days=30, nudge_late_days=1)
    assert [n for n in range(1, 32) if R.nudge_due(datetime.date(2026, 11, 8), day(n), short)] == [8]


@pytest.mark.parametrize("typed, stored", [
    ("13800138000", "13800138000"), (" 138-0013-8000 ", "13800138000"), ("+86 139 1234 5678", "13912345678"),
    ("8619912345678", "19912345678"), ("１３８００１３８０００", "13800138000"), ("", None), ("  ", None),
    (None, None)])
def test_a_mobile_is_stored_as_eleven_digits(typed, stored):
    assert R.clean_mobile(typed) == (stored, None)


@pytest.mark.parametrize("typed", ["1380013800", "138001380001", "12800138000", "23800138000", "1380013800x",
                                   "010-12345678", "+1 415 555 0100"])
def test_a_bad_mobile_is_refused(typed):
    assert R.clean_mobile(typed) == (None, R.BAD_MOBILE)
