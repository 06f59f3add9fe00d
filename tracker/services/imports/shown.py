"""What the import preview shows of a file (issue 18): every value a row writes, with the
cell as typed beside it where it differs (an amount in 万元 beside ``12 亿元``, a month-only
date beside ``2026年3月（仅到月份，按当月1日）``, a stage beside the clerk's word), the values of the
columns that are not imported, and how each column of the file is read."""
from ...domain import import_rules as rules
from ...domain import money, pipeline
from ...models import Project


# Keys shown by something else than their value in row.fields.
_OWN_WAY = {"task_force", "stage", "drop_reason"}


def shown_value(row, key, stage, dates):
    """A written value as the preview shows it, or "" (nothing written)."""
    if key == "task_force":
        return row.team.name if row.team is not None else ""
    if key == "stage":
        return pipeline.label(stage) if stage else ""
    if key in dates:
        return dates[key].isoformat() if dates[key] else ""
    if key == "drop_reason":
        return row.drop_reason
    value = row.fields.get(key)
    if value in (None, "", []):
        return ""
    return _formatted(key, value)


def _formatted(key, value):
    """A field's value (not empty) as the preview shows it."""
    if key in rules.AMOUNT_KEYS:
        return f"{money.fmt_wan(value)} 万元"
    if key == "capital_type":
        return Project.CAPITAL_TYPES.get(value, value)
    if key == "signing_grade":
        return pipeline.SIGNING_GRADES.get(value, value)
    if key == "tags":
        return "、".join(value.split(","))
    if key in ("county", "owner"):
        return str(value) if key == "owner" else value.name
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# Text fields shown otherwise than as stored (codes, comma lists).
_FORMATTED = {"capital_type", "signing_grade", "tags"}


def shape(columns, rows):
    """``(keys shown, extra columns listed)`` of a file: the fields its columns write, in
    the export's order, and the keys of the columns that are not imported (not 序号 or
    到位资金合计), with their headings."""
    keys = [k for _, k in rules.COLUMNS if k in columns or k == "task_force"]
    first = rows[0][1] if rows else {}
    extras = [(key, rules.extra_title(key)) for key in first
              if isinstance(key, str) and rules.is_extra(key)]
    return keys, [(key, title) for key, title in extras if title and not rules.is_ignored(title)]


def show(row, data, shape, stage, dates):
    """Every value the row writes, each with the cell as typed where it differs, and the
    values of the columns that are not imported."""
    keys, extras = shape
    fields, sources, shown, labels = row.fields, row.sources, row.shown, rules.LABELS
    for key in keys:
        if key in _OWN_WAY or key in dates:
            value = shown_value(row, key, stage, dates)
        else:   # most keys: a plain text field, shown as it is (the hot path of a big file)
            value = fields.get(key)
            if value in (None, "", []):
                continue
            if type(value) is not str or key in _FORMATTED:
                value = _formatted(key, value)
        if value:
            shown.append((labels[key], value, sources.get(key, "")))
    for key, title in extras:
        value = data.get(key)
        if value not in (None, ""):
            row.ignored.append((title, value))


def column_list(parsed):
    """[(letter, heading, imported as, how)] of the file's columns: each field with the unit
    an amount is read in, then the columns that are not imported and why."""
    out = []
    for key, letter in parsed.columns.items():
        heading, unit = parsed.headings.get(key, ("", None))
        how = ""
        if key in rules.AMOUNT_KEYS:
            how = {rules.UNIT_YI: "按亿元读取，×10000 换算为万元",
                   rules.UNIT_YUAN: "按元读取，÷10000 换算为万元",
                   rules.UNIT_WAN: "按万元读取"}.get(unit, "列名未注明单位，按万元读取")
        elif key in rules.DATE_KEYS or key == "expected_sign_date":
            how = f"只到月份的日期{rules.MONTH_NOTE}"
        out.append((str(letter), heading or rules.TITLES[key], rules.LABELS[key], how))
    for key, title in shape(parsed.columns, parsed.rows)[1]:
        out.append((rules.extra_letter(key), title, "不导入",
                    rules.ignored_reason(title) or "未识别的列名"))
    return out
