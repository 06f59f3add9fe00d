"""Money: Decimal amounts stored in 万元, shown in 万元 or 亿元."""
import re
import unicodedata
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


# After NFKC: ASCII digits, thousands separators in groups of three, one optional point.
# [0-9], not \d: in a str pattern \d is any Unicode digit, and NFKC leaves Arabic-Indic
# (١٢٣), Devanagari... digits alone, which Decimal() would then accept.
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[+-]?\.[0-9]+")


def parse_decimal(value):
    """Exact Decimal from user input (str, int, float, Decimal); ValueError if not a finite number.

    Text is NFKC-normalised first (full-width ``１２３.５`` is ``123.5``), then must be ASCII
    digits with one optional decimal point (``1,234.5`` with separators in groups of three
    is allowed); other scripts' digits (``١٢٣``), ``1_000``, exponents, ``NaN`` are refused.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"not a number: {value!r}")
        value = text.replace(",", "")
    elif isinstance(value, float):
        value = repr(value)
    try:
        raw = Decimal(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not raw.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return raw


def check_number(value, *, label, required=False, positive=False, integer=False,
                 maximum=MAX_WAN, unit=""):
    """Parse user input into a 2-place Decimal.

    Returns ``(value, error)``: ``(None, None)`` for empty optional input,
    ``(None, message)`` with a zh-CN message for bad input.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, (f"请填写{label}。" if required else None)
    try:
        raw = parse_decimal(value)
    except ValueError:
        return None, f"{label}必须是数字。"
    # Negative first, on the value as typed: "-0.001" is refused, not rounded to -0.00, and
    # a huge negative never reaches to_decimal() (whose quantize would overflow).
    if raw < 0:
        return None, f"{label}不能为负数。"
    if raw > maximum:
        shown = fmt_wan(maximum) if unit else f"{maximum:,}"
        return None, f"{label}超出合理范围（最大 {shown}{' ' + unit if unit else ''}）。"
    if integer and raw != raw.to_integral_value():
        return None, f"{label}必须是整数。"
    # Rounded to 0.01 before it is judged: 0.001 is 0.00. copy_abs(): "-0" is 0.00, not -0.00.
    raw = to_decimal(raw).copy_abs()
    if positive and raw == 0:
        return None, f"{label}必须大于0（按 0.01 四舍五入后为 0）。" if unit else f"{label}必须大于0。"
    return raw, None
