"""Calendar periods of a target year: months, quarters, 时序进度 (time progress).

Percentages in the progress code are Decimals in percent (50.00 means 50%),
rounded to 2 places.
"""
import calendar
import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal

from .errors import ValidationError

# Years the app accepts anywhere (targets, reports, weeks, exports): outside them a year is a
# typo, and at the ends of the date range a week or quarter around it would overflow.
MIN_YEAR, MAX_YEAR = 2000, 2100
PCT = Decimal("0.01")
HUNDRED = Decimal(100)
QUARTERS = (1, 2, 3, 4)
MONTH = "month"
DAY = "day"
PRECISIONS = (MONTH, DAY)


def pct(value):
    """Round a Decimal percentage to 2 places."""
    return Decimal(value).quantize(PCT, rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=1024)   # pure; a report asks for the same few thousands of times
def month_end(year, month):
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def year_start(year):
    return datetime.date(year, 1, 1)


def year_end(year):
    return datetime.date(year, 12, 31)


def quarter_of(day):
    return (day.month - 1) // 3 + 1


def quarter_months(quarter):
    """Months of a quarter: 2 -> (4, 5, 6)."""
    first = 3 * (quarter - 1) + 1
    return (first, first + 1, first + 2)


def quarter_start(year, quarter):
    return datetime.date(year, 3 * (quarter - 1) + 1, 1)


def quarter_end(year, quarter):
    return month_end(year, 3 * quarter)


def quarter_key(year, quarter):
    """'2026Q3' (used for snapshots and job period keys)."""
    return f"{year}Q{quarter}"


def parse_quarter_key(key):
    """'2026Q3' -> (2026, 3); ValueError for anything else."""
    try:
        year, quarter = str(key).upper().split("Q")
        year, quarter = int(year), int(quarter)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not a quarter key: {key!r}") from exc
    if quarter not in QUARTERS:
        raise ValueError(f"not a quarter key: {key!r}")
    return year, quarter


def previous_quarter(year, quarter):
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def clamp(as_of, year):
    """The last day of ``year`` that counts at ``as_of`` (None before the year starts)."""
    if as_of < year_start(year):
        return None
    return min(as_of, year_end(year))


def months_elapsed(year, as_of):
    """Whole months of ``year`` whose last day has been reached at ``as_of`` (0..12)."""
    if as_of < year_start(year):
        return 0
    if as_of >= year_end(year):
        return 12
    return as_of.month if as_of == month_end(year, as_of.month) else as_of.month - 1


@functools.lru_cache(maxsize=1024)   # pure (Decimal and date are immutable)
def time_progress(year, as_of, precision=MONTH):
    """时序进度 of ``year`` at ``as_of`` in percent.

    ``month`` (default): a month counts once its last day is reached, so
    30 June -> 50.00, 29 June -> 41.67, 31 Jan -> 8.33. ``day``: days elapsed
    including ``as_of`` over the days of the year (366 in a leap year).
    Before the year 0, after it 100.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown time-progress precision: {precision!r}")
    if as_of < year_start(year):
        return pct(0)
    if as_of >= year_end(year):
        return pct(100)
    if precision == MONTH:
        return pct(Decimal(months_elapsed(year, as_of)) * HUNDRED / 12)
    days = (as_of - year_start(year)).days + 1
    total = 366 if calendar.isleap(year) else 365
    return pct(Decimal(days) * HUNDRED / total)


@functools.lru_cache(maxsize=256)   # pure; asked once per task force and metric
def quarter_views(year, as_of, precision=MONTH):
    """For Q1..Q4 of ``year`` seen at ``as_of``: (quarter, key "2026Q2", closed, 时序进度
    at the quarter's end, or at ``as_of`` while it is open)."""
    return tuple((q, quarter_key(year, q), as_of >= quarter_end(year, q),
                  time_progress(year, min(quarter_end(year, q), as_of), precision))
                 for q in QUARTERS)


def closed_quarters(year, as_of):
    """Quarters of ``year`` whose last day has been reached at ``as_of``."""
    return tuple(q for q in QUARTERS if as_of >= quarter_end(year, q))


def open_quarters(year, as_of):
    """Quarters of ``year`` not yet closed at ``as_of`` (current and future ones)."""
    return tuple(q for q in QUARTERS if as_of < quarter_end(year, q))


def current_quarter(year, as_of):
    """The quarter ``as_of`` falls in (1 before the year, 4 after it)."""
    if as_of < year_start(year):
        return 1
    if as_of > year_end(year):
        return 4
    return quarter_of(as_of)


def month_bounds(year, as_of):
    """(month, first day, last counted day) for each month of ``year`` that has
    started at ``as_of``; the current month ends at ``as_of``."""
    last = clamp(as_of, year)
    if last is None:
        return []
    out = []
    for month in range(1, last.month + 1):
        end = min(month_end(year, month), last)
        out.append((month, datetime.date(year, month, 1), end))
    return out


def check_year(value, field):
    """``value`` (text or int) as a year in [MIN_YEAR, MAX_YEAR]; ValidationError on
    ``field`` otherwise (CLI options, export filters)."""
    text = str(value).strip()
    if not (text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR):
        raise ValidationError({field: f"年份无效：{text[:20]}（应为 {MIN_YEAR}–{MAX_YEAR} 之间的四位数字）。"})
    return int(text)


def check_date(value, field):
    """``value`` (YYYY-MM-DD) as a date in the accepted years; ValidationError on ``field``
    otherwise."""
    text = str(value).strip()
    try:
        day = datetime.date.fromisoformat(text)
        if len(text) != 10 or not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(text)
    except ValueError:
        raise ValidationError({field: f"日期无效：{text[:20]}（格式应为 YYYY-MM-DD）。"}) from None
    return day


def reporting_year(today):
    """The year whose results a 通报 or a ranking opened without a year is about: last year
    until this year's first checkpoint (31 March) is reached, then this year. In the first
    days of January the 通报 everybody needs is last year's 全年, not an empty 开门红."""
    return today.year - 1 if today < quarter_end(today.year, 1) else today.year
