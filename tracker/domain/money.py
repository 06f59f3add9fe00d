"""Money: Decimal amounts stored in 万元, shown in 万元 or 亿元."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
WAN_PER_YI = Decimal(10000)
# Largest amount a single project or receipt may carry: 1万亿元 = 1e8 万元.
MAX_WAN = Decimal("100000000")


def to_decimal(value):
    """Decimal with 2 places from a Decimal/int/float/str/None (None -> 0)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def wan_to_yi(wan):
    return (to_decimal(wan) / WAN_PER_YI).quantize(CENT, rounding=ROUND_HALF_UP)


def yi_to_wan(yi):
    return to_decimal(to_decimal(yi) * WAN_PER_YI)


def fmt_wan(wan):
    """'12,345.60' (万元)."""
    return f"{to_decimal(wan):,.2f}"


def fmt_yi(wan):
    """Amount stored in 万元 shown in 亿元: '1.23'."""
    return f"{wan_to_yi(wan):,.2f}"
