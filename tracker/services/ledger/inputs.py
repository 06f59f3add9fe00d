"""Checking what a person typed for a project, before anything is written.

Each function takes the raw values of a form or command and an ``errors`` dict; it
returns normalised values (text through domain.text, the user's characters kept; amounts
rounded to 0.01 万元, dates as dates) and records a zh-CN message per bad field. The use-cases in
services.ledger.projects raise ValidationError when ``errors`` is not empty.
"""
import datetime
from decimal import Decimal

from ... import clock
from ...domain import money, pipeline, text
from ...models import County, Project, TaskForce, User

# How far from today a planned date may lie; event dates may not lie after today.
MAX_YEARS = 10
MAX_EXCHANGE_RATE = Decimal("1000")
CURRENCIES = {"CNY": "人民币", "USD": "美元"}
# The unit of an amount field that is not in 万元.
FIELD_UNITS = {"original_amount": "万美元"}

# Ledger fields a user edits directly (never stage or first-reached dates).
EDITABLE_FIELDS = (
    "name", "task_force", "county", "investor", "investor_region", "capital_type", "industry",
    "tags", "planned_investment", "contract_value", "signing_grade", "expected_sign_date",
    "owner", "contact", "next_step", "problems",
)
LABELS = {
    "name": "项目名称", "task_force": "专班", "county": "区县/开发区", "investor": "投资方",
    "investor_region": "投资方来源地", "capital_type": "内外资", "industry": "产业",
    "tags": "企业标签", "planned_investment": "计划投资额", "contract_value": "签约额",
    "signing_grade": "签约等级", "expected_sign_date": "预计签约日期", "owner": "责任人",
    "contact": "联系人", "next_step": "下一步工作", "problems": "存在问题",
}
# Text fields: (maximum length, multi-line).
TEXT_FIELDS = {
    "name": (text.NAME_MAX, False),
    "investor": (text.LINE_MAX, False),
    "investor_region": (Project.investor_region.max_length, False),
    "capital_type": (Project.capital_type.max_length, False),
    "industry": (Project.industry.max_length, False),
    "contact": (text.LINE_MAX, False),
    "next_step": (text.NOTE_MAX, True),
    "problems": (text.NOTE_MAX, True),
}


def clean_text(errors, field, value, label, max_length=text.NOTE_MAX, multiline=True,
               required=False):
    return text.clean_into(errors, field, value, label=label, max_length=max_length,
                           multiline=multiline, required=required)


def amount(errors, field, value, *, required=False, positive=False, label="金额"):
    """Decimal in 万元 (万美元 for ``original_amount``, a USD receipt), rounded to 0.01
    before it is judged, or None. The one reading of every amount a form, the CLI, the API
    or an import gives: "1.5亿", "1500万", "15,000", "１５０００", "3000万元"
    (domain.money.check_amount); anything else is refused with a message naming the unit
    and the forms it takes."""
    number, error = money.check_amount(value, label=label, required=required,
                                       positive=positive, unit=FIELD_UNITS.get(field, "万元"))
    if error:
        errors[field] = error
    return number


def _shift_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_range(today=None):
    """(earliest, latest) date a planned date may take: today ± MAX_YEARS."""
    today = today or clock.today()
    return _shift_years(today, -MAX_YEARS), _shift_years(today, MAX_YEARS)


def _as_date(errors, field, value, label):
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    elif isinstance(value, datetime.datetime):
        return value.date()
    elif isinstance(value, datetime.date):
        return value
    errors[field] = f"{label}格式应为 YYYY-MM-DD。"
    return None


def day(errors, field, value, *, required=True, label="日期", event=True):
    """A date within today − MAX_YEARS … today (an event) or … today + MAX_YEARS (planned)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = f"请填写{label}。"
        return None
    value = _as_date(errors, field, value, label)
    if value is None:
        return None
    today = clock.today()
    low, high = date_range(today)
    if event and value > today:
        errors[field] = f"{label}不能晚于今天（{today.isoformat()}）。"
        return None
    if not low <= value <= high:
        errors[field] = f"{label}必须在 {low.isoformat()} 至 {high.isoformat()} 之间。"
        return None
    return value


def _lookup(model, value):
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    try:
        return model.get_or_none(model.id == int(value))
    except (TypeError, ValueError, OverflowError):
        return None


def _task_force(errors, value):
    team = _lookup(TaskForce, value)
    if team is None:
        errors["task_force"] = "专班不存在。"
    elif not team.active:
        errors["task_force"] = f"专班「{team.name}」已停用。"
        team = None
    return team


def _tags(errors, value):
    """Tags are labels matched as keys (the awards' 世界500强/央企/民营500强, the import's
    tags): each one is cleaned as an identifier, so "世界５００强" is "世界500强"."""
    if value is None:
        return ""
    items = value.replace("，", ",").split(",") if isinstance(value, str) else list(value)
    seen = []
    for item in items:
        item, error = text.clean_identifier(item, label="企业标签",
                                            max_length=Project.tags.max_length)
        if error:
            errors.setdefault("tags", error)
        if item and item not in seen:
            seen.append(item)
    joined = ",".join(seen)
    if len(joined) > Project.tags.max_length:
        errors["tags"] = f"企业标签不能超过 {Project.tags.max_length} 个字。"
    return joined


def _reference(errors, name, model, value, missing):
    found = _lookup(model, value)
    if value not in (None, "") and found is None:
        errors[name] = missing
    return found


def _clean_one(errors, name, value):
    label = LABELS[name]
    if name in TEXT_FIELDS:
        max_length, multiline = TEXT_FIELDS[name]
        return clean_text(errors, name, value, label, max_length, multiline)
    if name == "task_force":
        return _task_force(errors, value)
    if name == "county":
        return _reference(errors, name, County, value, "区县/开发区不存在。")
    if name == "owner":
        return _reference(errors, name, User, value, "责任人不存在。")
    if name == "tags":
        return _tags(errors, value)
    if name in ("planned_investment", "contract_value"):
        return amount(errors, name, value, required=name == "planned_investment", label=label)
    if name == "signing_grade":
        if value and value not in pipeline.SIGNING_GRADES:
            errors[name] = "签约等级无效。"
        return value or None
    return day(errors, name, value, required=False, label=label, event=False)


def clean_fields(errors, fields):
    """Validate ledger fields given by name; returns the cleaned values."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable project fields: {sorted(unknown)}")
    out = {name: _clean_one(errors, name, value) for name, value in fields.items()}
    if "name" in out and not out["name"] and "name" not in errors:
        errors["name"] = "请填写项目名称。"
    if out.get("capital_type") and out["capital_type"] not in Project.CAPITAL_TYPES:
        errors["capital_type"] = "内外资类型无效。"
    if "capital_type" in out and not out["capital_type"]:
        out["capital_type"] = "domestic"
    return out


def exchange_rate(errors, value):
    if value is None or (isinstance(value, str) and not value.strip()):
        errors["exchange_rate"] = "请填写汇率。"
        return None
    try:
        rate = money.parse_decimal(value)
    except ValueError:
        errors["exchange_rate"] = "汇率必须是数字。"
        return None
    if rate <= 0 or rate > MAX_EXCHANGE_RATE:
        errors["exchange_rate"] = "汇率必须大于0且不超过1000。"
        return None
    return rate.quantize(Decimal("0.0001"))
