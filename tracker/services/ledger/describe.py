"""One line in words for a write held as a 更正申请 (what the bureau reads before it
approves, what the requester sees on the project page)."""
from ...domain import money, pipeline
from .inputs import LABELS


def _wan(value):
    return f"{money.fmt_wan(value)} 万元"


def stage(row, target, day, value, reason):
    words = f"阶段 {pipeline.label(row.stage)} → {pipeline.label(target)}（{day.isoformat()}）"
    if value is not None and pipeline.rank(target) >= pipeline.rank(pipeline.SIGNED):
        words += f"，签约额 {_wan(value)}"
    if target == pipeline.DROPPED and reason:
        words += f"，退库原因：{reason}"
    return words


def funds(day, amount, currency, original, source_layer):
    words = f"登记到位资金 {day.isoformat()} {_wan(amount)}（{source_layer}）"
    if currency == "USD":
        words += f"，原币 {money.fmt_wan(original)} 万美元"
    return words


def increase(day, amount):
    return f"登记增资 {day.isoformat()} {_wan(amount)}"


def create(fields, target, day):
    return (f"新建项目「{fields['name']}」，{pipeline.label(target)}（{day.isoformat()}），"
            f"计划投资额 {_wan(fields['planned_investment'])}")


def _shown(value):
    if value is None or value == "":
        return "（无）"
    if hasattr(value, "name"):
        return value.name
    return str(value)


def update(old, new, amounts, change):
    """``old``/``new``: the changed fields; ``amounts``: {field: (old, new)} of amounts."""
    parts = []
    for name, (before, after) in amounts.items():
        parts.append(f"{LABELS[name]} {_wan(before)} → {_wan(after)}")
    for name in new:
        if name not in amounts:
            parts.append(f"{LABELS.get(name, name)}：{_shown(old.get(name))} → {_shown(new[name])}")
    if amounts:
        kind = "变更" if change["kind"] == "change" else "更正"
        when = f"（自 {change['on'].isoformat()} 起）" if change["kind"] == "change" else ""
        parts.append(f"修改类型：{kind}{when}，原因：{change['reason']}")
    return "；".join(parts)


def void(label, item_id, day):
    return f"作废{label} #{item_id}（{day.isoformat()}）"
