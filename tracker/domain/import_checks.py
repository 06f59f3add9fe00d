"""Pure rules of the import's column mapping and plausibility warnings (issue 18).

Column mapping: every column of a sheet is imported as a field or set to 不导入 by the
person; a column that names no field (or a second column naming a field already taken)
needs that decision before the preview (:func:`needs_decision`). A decision is remembered
per user and task force for the next file with the same headings (:func:`signature`).

Plausibility warnings (the person acknowledges them before 确认导入; none is an error):

* an amount 100× below or above the typical 计划投资额: the task force's (the median of its
  ledger, when it has at least :data:`MIN_LEDGER` projects) or the file's own median;
* a project name that says 亿/万吨/GW/MW/万平方米 with a 计划投资额 under 100 万元;
* a 签约 (or later) stage without 签约额;
* a date (a stage date, 预计签约日期, 最近进展日期) before the 策划包装 date.
"""
import hashlib
from decimal import Decimal

from . import pipeline
from .import_cells import fold_word

NOT_IMPORTED = ""              # the select's value for 不导入
NOT_IMPORTED_LABEL = "不导入"
UNIT_CHOICES = ("万元", "亿元", "元")
MIN_LEDGER = 5                 # projects a task force needs before its median is typical
FACTOR = Decimal(100)          # "100× below or above"
SMALL = Decimal(100)           # 万元: a name saying 亿/万吨/GW wants more than this
BIG_WORDS = ("亿", "万吨", "GW", "MW", "万平方米", "万平米", "万千瓦")
PACKAGED_FIELD = "packaged_on"


def signature(headings):
    """A key of a sheet's headings (in order, compared folded): the same headings give
    the same key, so a remembered mapping is applied to the next such file."""
    folded = "\x1f".join(fold_word(h) if h not in (None, "") else "" for h in headings)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def heading_unit(title):
    """The unit an unrecognised heading names (``投资规模（亿元）``, ``金额/万元``), or None:
    the mapping page pre-selects it for an amount."""
    folded = fold_word(title)
    for word, unit in (("亿元", "亿元"), ("万元", "万元"), ("(亿)", "亿元"), ("(万)", "万元"),
                       ("(元)", "元"), ("/元", "元")):
        if word in folded:
            return unit
    return None


def needs_decision(auto_key, taken, non_empty, on_purpose):
    """Whether a column must be decided by the person before the preview: it names no
    field (``auto_key`` None) or a field an earlier column already names (``taken``),
    has a heading or a value (``non_empty``) and is not read past on purpose (序号,
    到位资金合计, 备注: ``on_purpose``)."""
    if on_purpose or not non_empty:
        return False
    return auto_key is None or taken


def decision_problems(decisions, fields, amount_keys, required, labels):
    """zh-CN problems of a set of decisions ``{letter: (field key or "", unit)}``:
    {letter or "__all__": message}. A field taken by two columns, an unknown field, an
    amount without one of :data:`UNIT_CHOICES`, a required field no column gives."""
    problems, seen = {}, {}
    for letter, (key, unit) in decisions.items():
        if key == NOT_IMPORTED:
            continue
        if key not in fields:
            problems[letter] = "请选择导入为哪个字段，或选择不导入。"
        elif key in seen:
            problems[letter] = f"{labels[key]}已由 {seen[key]} 列导入，请为此列另选或选择不导入。"
        elif key in amount_keys and unit not in UNIT_CHOICES:
            problems[letter] = "请选择金额单位（万元、亿元或元）。"
        else:
            seen[key] = letter
    missing = [labels[k] for k in required if k not in seen]
    if missing and not problems:
        problems["__all__"] = f"还没有列导入为：{'、'.join(missing)}。"
    return problems


# --- plausibility ----------------------------------------------------------------------

def median(values):
    """The median of the positive amounts (Decimal), or None when there are none."""
    ordered = sorted(Decimal(v) for v in values if v is not None and Decimal(v) > 0)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _wan(value):
    return f"{Decimal(value).quantize(Decimal('0.01')):,} 万元"


def amount_warnings(amount, typical):
    """Warnings of a 计划投资额 100× below or above a typical value: ``typical`` is
    ``[(what, median)]`` (``("本专班台账", m)``, ``("本文件", m)``); a None median is skipped."""
    if amount is None or Decimal(amount) <= 0:
        return []
    amount, out = Decimal(amount), []
    for what, middle in typical:
        if middle is None or middle <= 0:
            continue
        if amount * FACTOR <= middle:
            out.append(f"计划投资额 {_wan(amount)}不足{what}常见值（中位数 {_wan(middle)}）的"
                       "百分之一，请核对单位（亿元/万元/元）。")
        elif amount >= middle * FACTOR:
            out.append(f"计划投资额 {_wan(amount)}超过{what}常见值（中位数 {_wan(middle)}）的"
                       "100 倍，请核对单位（亿元/万元/元）。")
    return out


def name_warning(name, amount):
    """A name that says 亿/万吨/GW/MW/万平方米 with a 计划投资额 under 100 万元, or None."""
    if not name or amount is None or Decimal(amount) >= SMALL:
        return None
    folded = fold_word(name).upper()
    found = [w for w in BIG_WORDS if fold_word(w).upper() in folded]
    if not found:
        return None
    return (f"项目名称含“{found[0]}”，计划投资额却只有 {_wan(amount)}（不足 100 万元），"
            "请核对单位。")


def contract_warning(stage, contract_value):
    """A 签约 (or later, not 退库) stage without 签约额, or None."""
    rank = pipeline.rank(stage) if stage else None
    if rank is None or rank < pipeline.rank(pipeline.SIGNED) or contract_value:
        return None
    return f"当前阶段为{pipeline.label(stage)}，却没有签约额。"


def date_warnings(dates, labels):
    """Dates before the 策划包装 date: ``dates`` maps a field key to a date (or None),
    ``labels`` a field key to its zh-CN name."""
    packaged = dates.get(PACKAGED_FIELD)
    if packaged is None:
        return []
    return [f"{labels[key]} {day.isoformat()} 早于策划包装日期 {packaged.isoformat()}。"
            for key, day in dates.items()
            if key != PACKAGED_FIELD and day is not None and day < packaged]


def row_warnings(name, fields, stage, dates, typical, labels):
    """Every plausibility warning of one row, in a fixed order."""
    amount = fields.get("planned_investment")
    out = amount_warnings(amount, typical)
    out += [w for w in (name_warning(name, amount),
                        contract_warning(stage, fields.get("contract_value"))) if w]
    return out + date_warnings(dates, labels)
