"""Money: Decimal amounts stored in 万元, shown in 万元 or 亿元."""
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

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
    return _judge(raw, label=label, positive=positive, integer=integer, maximum=maximum,
                  unit=unit)


def _judge(raw, *, label, positive, integer, maximum, unit):
    """check_number's rules on an exact parsed number."""
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


# --- amounts typed with a unit: "1.5亿", "1500万", "3000万元", "1.5 亿元" ----------------------
# A field's unit is 万元 (the ledger), 亿元 (the target pages) or 万美元 (a USD receipt). What
# is typed may carry its own unit, which wins: a scale (万, 亿, 万亿, optionally 十/百/千 before
# it) and/or the currency word (元; 美元 in a 美元 field; 人民币 before either is read past).
# A bare number is in the field's unit. The result is exact, in 万 of the currency (万元 or
# 万美元); the check rounds it to 0.01 after the conversion (docs/design.md, The write path).
FIELD_UNITS = {"万元": (Decimal(1), "元"), "亿元": (WAN_PER_YI, "元"), "万美元": (Decimal(1), "美元")}
SCALES = {"万亿": Decimal(100000000), "亿": WAN_PER_YI, "万": Decimal(1)}
MULTIPLIERS = {"十": Decimal(10), "百": Decimal(100), "千": Decimal(1000)}
EXAMPLES = {"万元": "15000、15,000.5、1500万、1.5亿", "亿元": "1.5、0.15、1500万",
            "万美元": "1500、1,500.5、1500万、1.5亿"}
_WITH_UNIT = re.compile(r"(?P<number>.*?[0-9.])\s*(?:人民币)?(?P<mult>[十百千])?"
                        r"(?P<scale>万亿|亿|万)?(?P<currency>美元|元)?")


class Typed(NamedTuple):
    """An amount as typed, split: ``number`` (its text), ``factor`` (to 万 of the
    currency) and ``unit`` (the unit word it was read in: 亿元, 万元, 千万元, 元 …; "" when
    it carries none)."""
    number: str
    factor: Decimal
    unit: str


def split_unit(value, unit="万元"):
    """:class:`Typed` of text for a field in ``unit`` (FIELD_UNITS); ValueError when its
    unit is not one the field takes (``5千``, ``12美元`` in a 万元 field, ``12元`` in a
    美元 one). The number itself is not checked here (:func:`parse_decimal`)."""
    default, currency = FIELD_UNITS[unit]
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _WITH_UNIT.fullmatch(text)
    if match is None or not (match["scale"] or match["currency"]):
        if match is not None and match["mult"]:
            raise ValueError(f"no unit after {match['mult']}: {value!r}")
        return Typed(text, default, "")
    if match["currency"] and match["currency"] != currency:
        raise ValueError(f"not {currency}: {value!r}")
    if match["mult"] and not match["scale"]:
        raise ValueError(f"no scale after {match['mult']}: {value!r}")
    scale = match["scale"] or ""
    factor = SCALES[scale] if scale else Decimal("0.0001")
    factor *= MULTIPLIERS.get(match["mult"], 1)
    return Typed(match["number"], factor, f"{match['mult'] or ''}{scale}{currency}")


def parse_amount(value, unit="万元"):
    """Exact Decimal in 万 of the field's currency from what was typed in a field in
    ``unit``: ``1.5亿`` and ``1500万`` are 15000 (万元), ``１５，０００`` is 15000; a number
    (not text) is in ``unit``. ValueError when it is no amount."""
    if isinstance(value, str):
        typed = split_unit(value, unit)
        return parse_decimal(typed.number) * typed.factor
    return parse_decimal(value) * FIELD_UNITS[unit][0]


def amount_hint(label, unit="万元"):
    """The zh-CN message for an amount that cannot be read: the unit and what it takes."""
    return f"{label}必须是数字（单位：{unit}），可填 {EXAMPLES[unit]}。"


def check_amount(value, *, label, required=False, positive=False, unit="万元",
                 maximum=MAX_WAN):
    """:func:`check_number` for an amount field in ``unit``: what :func:`parse_amount`
    reads, in 万 of the currency, rounded to 0.01 before it is judged. ``(value, error)``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, (f"请填写{label}。" if required else None)
    try:
        raw = parse_amount(value, unit)
    except ValueError:
        return None, amount_hint(label, unit)
    stored = "万美元" if unit == "万美元" else "万元"
    return _judge(raw, label=label, positive=positive, integer=False, maximum=maximum,
                  unit=stored)


def stored_text(wan, unit="万元"):
    """What an amount field stored, as the page echoes it: "= 15,000.00 万元"."""
    return f"= {fmt_wan(wan)} {unit}"
