"""Input checks shared by the target services (task-force targets, county goals, shares).

Units: :func:`number` reads 万元 (programmatic callers: seed data, tests, scripts);
:func:`yi_number` reads what a user types on the target pages, in 亿元, and returns 万元.
Each function records a zh-CN message under its field in ``errors`` and returns the parsed
value (or None); the caller raises one ValidationError with every message at once.
"""
from ...domain import money
from ...domain import targets as D
from ...domain import text
from ...domain.periods import MAX_YEAR, MIN_YEAR
from .. import audit

REASON_MAX = 500
STALE_TARGET = "目标刚被他人修改，请刷新后重试。"


def check_year(year, errors=None, field="year"):
    errors = {} if errors is None else errors
    try:
        year = int(year)
    except (TypeError, ValueError):
        errors[field] = "年份必须是整数。"
        return None
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors[field] = f"年份必须在 {MIN_YEAR} 至 {MAX_YEAR} 之间。"
        return None
    return year


def number(errors, field, value, *, label, integer=False, maximum=money.MAX_WAN):
    """Decimal >= 0 or None for empty input; records an error for bad values."""
    parsed, error = money.check_number(value, label=label, integer=integer, maximum=maximum)
    if error:
        errors[field] = error
    return parsed


def yi_number(errors, field, value, *, label):
    """Input in 亿元 -> Decimal in 万元 (None for empty input); records an error."""
    parsed, error = D.parse_yi(value, label=label)
    if error:
        errors[field] = error
    return parsed


def reason(errors, value, *, required=False):
    """The change reason: normalised (single line breaks kept), at most 500 characters;
    ``required`` for every revision a user enters on the target pages."""
    return text.clean_into(errors, "reason", value, label="修改原因", max_length=REASON_MAX,
                           required=required, multiline=True)


def row_id(errors, field, value, message):
    """An integer id from a row or an id; records ``message`` when it is not one."""
    value = getattr(value, "id", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[field] = message
        return None


def user_or_none(user):
    return audit.actor(user)


def amount(value):
    return None if value is None else money.to_decimal(value)
