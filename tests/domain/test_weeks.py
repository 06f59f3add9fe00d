import datetime

import pytest

from tracker.domain.weeks import Week, days_into_week, last_week, parse_week, week_of

D = datetime.date


@pytest.mark.parametrize("text, year, number", [
    ("2026-W26", 2026, 26), ("2026W26", 2026, 26), (" 2026-w01 ", 2026, 1), ("2020-W53", 2020, 53),
])
def test_parse_week(text, year, number):
    assert parse_week(text) == Week(year, number)


@pytest.mark.parametrize("text", ["", "2026-26", "26-W2026", "2026-W00", "2026-W54", "2025-W53", None,
                                  "9999-W52", "0001-W01", "1999-W10", "2101-W01"])
def test_parse_week_rejects(text):
    with pytest.raises(ValueError):
        parse_week(text)


def test_bounds_and_labels():
    week = parse_week("2026-W26")
    assert (week.monday, week.sunday) == (D(2026, 6, 22), D(2026, 6, 28))
    assert week.key == "2026-W26" and week.label == "2026年第26周"
    assert week.as_of == D(2026, 6, 28)


@pytest.mark.parametrize("day, key", [
    (D(2026, 6, 22), "2026-W26"), (D(2026, 6, 28), "2026-W26"), (D(2026, 6, 29), "2026-W27"),
    (D(2025, 12, 29), "2026-W01"),  # ISO year starts on the Monday of the week with 4 January
    (D(2021, 1, 3), "2020-W53"),
])
def test_week_of(day, key):
    assert week_of(day).key == key


def test_last_week_and_neighbours():
    assert last_week(D(2026, 6, 29)).key == "2026-W26"       # Monday -> previous week
    assert last_week(D(2026, 7, 5)).key == "2026-W26"        # Sunday -> previous week
    assert parse_week("2026-W01").previous().key == "2025-W52"
    assert parse_week("2020-W53").next().key == "2021-W01"
    assert days_into_week(D(2026, 6, 22)) == 0 and days_into_week(D(2026, 6, 28)) == 6


def test_a_week_spanning_the_new_year_reports_the_year_that_ended():
    w53 = parse_week("2026-W53")
    assert (w53.monday, w53.sunday) == (datetime.date(2026, 12, 28), datetime.date(2027, 1, 3))
    assert w53.report_day() == datetime.date(2026, 12, 31)
    assert w53.report_day(datetime.date(2027, 1, 2)) == datetime.date(2026, 12, 31)
    w1 = parse_week("2026-W01")                       # 29 Dec 2025 - 4 Jan 2026
    assert w1.report_day() == datetime.date(2025, 12, 31)
    plain = parse_week("2026-W26")
    assert plain.report_day() == plain.sunday
    assert plain.report_day(datetime.date(2026, 6, 24)) == datetime.date(2026, 6, 24)
