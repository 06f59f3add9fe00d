"""Target entry rules: units, suspicious revisions, checkpoint shares (pure).

docs/design.md, Annual targets and Milestones: every amount a user types or reads on the
target pages is in 亿元; targets are stored in 万元. A revision that moves a target by more
than ×10 or ÷10, or sets a money target below a floor, is only saved once the user has
confirmed it. The confirmation is a token of exactly what was shown, so a different value
(or a target someone else changed meanwhile) asks again.
"""
import hashlib
from decimal import Decimal

from . import money
from .errors import ValidationError

RATIO = Decimal(10)
DEFAULT_FLOOR_YI = Decimal(1)
MAX_YI = money.MAX_WAN / money.WAN_PER_YI
CONFIRM_LABEL = "我已核对，确认保存"


class NeedsConfirmation(ValidationError):
    """Nothing was written: the input is valid but must be confirmed first.

    ``errors`` holds the warnings by field (plus any other message); ``token`` is what a
    confirmed retry passes back; ``items`` (optional) lists what would be replaced."""

    def __init__(self, errors, token, items=()):
        super().__init__(errors)
        self.token = token
        self.items = list(items)


def parse_yi(value, *, label):
    """``(万元 Decimal or None, error)`` from input in 亿元.

    Same rules as money.check_amount (NFKC, ASCII digits, a unit such as 万 or 亿元 may be
    typed with it, no negatives, at most 1万亿元),
    but the amount is converted exactly (0.0123 亿元 is 123.00 万元) and rounded to 0.01
    万元 before any check. money.yi_to_wan would round the 亿元 to 2 places first, so a
    stored 123.00 万元 shown as "0.0123" would not survive a round trip through the form.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:   # a unit typed with it is read as in every amount field: "1500万" is 0.15 亿元
        raw = money.parse_amount(value, "亿元") / money.WAN_PER_YI
    except ValueError:
        return None, f"{label}必须是数字。"
    if raw < 0:
        return None, f"{label}不能为负数。"
    if raw > MAX_YI:
        return None, f"{label}超出合理范围（最大 {MAX_YI:,.0f} 亿元）。"
    return money.to_decimal(raw * money.WAN_PER_YI).copy_abs(), None


def yi_text(wan):
    """Exact 亿元 text of an amount in 万元 for a form field ("" for None): 250000 -> "25"."""
    if wan is None:
        return ""
    value = (money.to_decimal(wan) / money.WAN_PER_YI).normalize()
    return f"{value:f}"


def shown(value, *, is_money):
    """'25.00 亿元' or '20 个' for a message."""
    if is_money:
        return f"{money.fmt_yi(value)} 亿元"
    return f"{int(Decimal(value))} 个"


def _beyond(old, new, factor):
    if old == 0 or new == 0:
        return True          # differ, and no factor turns one into the other
    return new > old * factor or new * factor < old


def revision_warning(old, new, *, is_money=True, floor_wan=None, factor=RATIO):
    """zh-CN warning for a revision from ``old`` to ``new`` (both in 万元, or counts) that
    needs confirmation, or None. Unchanged values and first versions without a floor
    problem never warn; ``floor_wan`` None means no floor (counts, county bases)."""
    if new is None or new == old:
        return None
    if is_money and floor_wan is not None and new < floor_wan:
        return (f"目标 {shown(new, is_money=True)} 低于下限 "
                f"{shown(floor_wan, is_money=True)}，请核对单位（亿元）。")
    if old is not None and _beyond(Decimal(old), Decimal(new), factor):
        return (f"由 {shown(old, is_money=is_money)} 改为 {shown(new, is_money=is_money)}，"
                f"变化超过 {factor:f} 倍，请核对单位和数值。")
    return None


def floor_wan(floor_yi):
    """The configured floor (亿元, None or "" = default) in 万元."""
    value = DEFAULT_FLOOR_YI if floor_yi in (None, "") else Decimal(str(floor_yi))
    return money.to_decimal(value * money.WAN_PER_YI)


def token(items):
    """A short, stable token of what a confirmation covers (any iterable of tuples)."""
    text = "\n".join("|".join("" if v is None else str(v) for v in item)
                     for item in sorted(items, key=repr))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def share_errors(shares):
    """{quarter (1..4): message} for four cumulative shares (Decimals, None = missing,
    already reported). A decrease is flagged on the quarter that is lower than the one
    before it; the last share must be exactly 100."""
    errors = {}
    for q in range(2, 5):
        prev, cur = shares[q - 2], shares[q - 1]
        if prev is not None and cur is not None and cur < prev:
            errors[q] = f"累计比例必须逐季不减：不能低于第{q - 1}季度的 {prev.normalize():f}%。"
    last = shares[3]
    if last is not None and last != 100 and 4 not in errors:
        errors[4] = "第四季度累计比例必须为 100%。"
    return errors


def all_first_unrevised(judged):
    """True when a view judged something and every target it judged by was set after its
    date and never revised (``judged``: (before_first, revised) per target): the view then
    says once that it uses the first versions, not on each metric."""
    judged = list(judged)
    return bool(judged) and all(before and not revised for before, revised in judged)
