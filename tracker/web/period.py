"""Year and as-of date from query arguments, shared by the dashboard, county pages and API."""
import datetime
from dataclasses import dataclass

from .. import clock
from ..domain import periods
from ..domain.periods import MAX_YEAR, MIN_YEAR


@dataclass(frozen=True)
class Period:
    year: int
    as_of: datetime.date
    errors: dict  # argument name -> zh-CN message (empty when the arguments were valid)


def parse_period(args, *, reporting=False):
    """``year`` (YYYY) and ``as_of`` (YYYY-MM-DD) from ``args``.

    Defaults: as_of = today; year = the as-of year (with ``reporting``, a page about a
    year's results: domain.periods.reporting_year, last year until 31 March). A year given without a date is
    judged at today when it is the current year, at 31 December for a past year
    and at 1 January for a future one. Invalid values are reported in ``errors``
    and replaced by the defaults."""
    errors = {}
    today = clock.today()
    year = as_of = None
    raw_year = (args.get("year") or "").strip()
    raw_as_of = (args.get("as_of") or "").strip()
    if raw_year:
        if raw_year.isdigit() and MIN_YEAR <= int(raw_year) <= MAX_YEAR:
            year = int(raw_year)
        else:
            errors["year"] = f"年份无效：{raw_year[:20]}（应为 {MIN_YEAR}–{MAX_YEAR} 之间的四位数字）。"
    if raw_as_of:
        try:
            as_of = datetime.date.fromisoformat(raw_as_of)
            if not MIN_YEAR <= as_of.year <= MAX_YEAR:
                raise ValueError(raw_as_of)
            if len(raw_as_of) != 10:
                raise ValueError(raw_as_of)
        except ValueError:
            as_of = None
            errors["as_of"] = f"统计日期无效：{raw_as_of[:20]}（格式应为 YYYY-MM-DD）。"
    if year is None:
        year = as_of.year if as_of else (periods.reporting_year(today) if reporting
                                         else today.year)
    elif as_of is not None and as_of.year < year:
        errors["as_of"] = f"统计日期 {as_of.isoformat()} 早于所选年份 {year} 年。"
        as_of = None
    if as_of is None:
        if year == today.year:
            as_of = today
        elif year < today.year:
            as_of = datetime.date(year, 12, 31)
        else:
            as_of = datetime.date(year, 1, 1)
    return Period(year, as_of, errors)
