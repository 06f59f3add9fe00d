"""Project ledger use-cases: create/edit projects, move them through the
pipeline, record funds received and capital increases.

Every function validates its input first (raising ``ValidationError`` with
per-field zh-CN messages, the database untouched), then writes in one
``database.atomic()`` block together with an audit row. The web forms, the CLI
and seed.py all go through these functions so they share the same rules.
"""
import datetime
from decimal import Decimal

from peewee import CharField, IntegrityError

from .. import clock
from ..db import database
from ..domain import money, pipeline
from ..domain.errors import ValidationError
from ..models import (
    CapitalIncrease, County, FundReceipt, Project, StageEvent, TaskForce, User, utcnow,
)
from . import audit

# How far from today any date we store may lie.
MAX_YEARS = 10
MAX_EXCHANGE_RATE = Decimal("1000")
CURRENCIES = {"CNY": "人民币", "USD": "美元"}

# Ledger fields a user edits directly (never stage or first-reached dates).
EDITABLE_FIELDS = (
    "name", "task_force", "county", "investor", "investor_region", "capital_type", "industry",
    "tags", "planned_investment", "contract_value", "signing_grade", "expected_sign_date",
    "owner", "contact", "next_step", "problems",
)
_TEXT_FIELDS = ("name", "investor", "investor_region", "capital_type", "industry", "contact",
                "next_step", "problems")


# --- input checking -------------------------------------------------------

def _amount(errors, field, value, *, required=False, positive=False, label="金额"):
    """Decimal in 万元 or None; records an error for bad values."""
    amount, error = money.check_number(value, label=label, required=required,
                                       positive=positive, unit="万元")
    if error:
        errors[field] = error
    return amount


def _date(errors, field, value, *, required=True, label="日期"):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = f"请填写{label}。"
        return None
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            errors[field] = f"{label}格式应为 YYYY-MM-DD。"
            return None
    elif isinstance(value, datetime.datetime):
        value = value.date()
    elif not isinstance(value, datetime.date):
        errors[field] = f"{label}格式应为 YYYY-MM-DD。"
        return None
    low, high = date_range()
    if not low <= value <= high:
        errors[field] = f"{label}必须在 {low.isoformat()} 至 {high.isoformat()} 之间。"
        return None
    return value


def date_range():
    """(earliest, latest) date any stored date may take: today ± MAX_YEARS."""
    today = clock.today()
    return _shift_years(today, -MAX_YEARS), _shift_years(today, MAX_YEARS)


def _shift_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _text(errors, field, value, label):
    value = "" if value is None else str(value).strip()
    model_field = Project._meta.fields.get(field)
    if isinstance(model_field, CharField) and len(value) > model_field.max_length:
        errors[field] = f"{label}不能超过 {model_field.max_length} 个字。"
    return value


def _lookup(model, value):
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    try:
        return model.get_or_none(model.id == int(value))
    except (TypeError, ValueError):
        return None


def _task_force(errors, value):
    team = _lookup(TaskForce, value)
    if team is None:
        errors["task_force"] = "专班不存在。"
    elif not team.active:
        errors["task_force"] = f"专班「{team.name}」已停用。"
        team = None
    return team


def _tags(value):
    if value is None:
        return ""
    items = value.replace("，", ",").split(",") if isinstance(value, str) else list(value)
    seen = []
    for item in (str(i).strip() for i in items):
        if item and item not in seen:
            seen.append(item)
    return ",".join(seen)


LABELS = {
    "name": "项目名称", "task_force": "专班", "county": "区县/开发区", "investor": "投资方",
    "investor_region": "投资方来源地", "capital_type": "内外资", "industry": "产业",
    "tags": "企业标签", "planned_investment": "计划投资额", "contract_value": "签约额",
    "signing_grade": "签约等级", "expected_sign_date": "预计签约日期", "owner": "责任人",
    "contact": "联系人", "next_step": "下一步工作", "problems": "存在问题",
}


def _clean_fields(errors, fields):
    """Validate ledger fields given by name; returns the cleaned values."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable project fields: {sorted(unknown)}")
    out = {}
    for name, value in fields.items():
        label = LABELS[name]
        if name in _TEXT_FIELDS:
            out[name] = _text(errors, name, value, label)
        elif name == "task_force":
            out[name] = _task_force(errors, value)
        elif name == "county":
            county = _lookup(County, value)
            if value not in (None, "") and county is None:
                errors[name] = "区县/开发区不存在。"
            out[name] = county
        elif name == "owner":
            owner = _lookup(User, value)
            if value not in (None, "") and owner is None:
                errors[name] = "责任人不存在。"
            out[name] = owner
        elif name == "tags":
            out[name] = _tags(value)
            if len(out[name]) > Project.tags.max_length:
                errors[name] = f"企业标签不能超过 {Project.tags.max_length} 个字。"
        elif name == "planned_investment":
            out[name] = _amount(errors, name, value, required=True, label=label)
        elif name == "contract_value":
            out[name] = _amount(errors, name, value, label=label)
        elif name == "signing_grade":
            value = value or None
            if value is not None and value not in pipeline.SIGNING_GRADES:
                errors[name] = "签约等级无效。"
            out[name] = value
        elif name == "expected_sign_date":
            out[name] = _date(errors, name, value, required=False, label=label)
    if "name" in out and not out["name"] and "name" not in errors:
        errors["name"] = "请填写项目名称。"
    if out.get("capital_type") and out["capital_type"] not in Project.CAPITAL_TYPES:
        errors["capital_type"] = "内外资类型无效。"
    if "capital_type" in out and not out["capital_type"]:
        out["capital_type"] = "domestic"
    return out


def _check_duplicate(errors, team, name, investor, exclude_id=None):
    if team is None or not name or "name" in errors:
        return
    query = Project.select(Project.id).where(
        (Project.task_force == team) & (Project.name == name) & (Project.investor == investor))
    if exclude_id is not None:
        query = query.where(Project.id != exclude_id)
    if query.exists():
        errors["name"] = "该专班已有同名同投资方的项目。"


def _duplicate_error():
    return ValidationError({"name": "该专班已有同名同投资方的项目。"})


def _touch(project, on):
    if on is not None and (project.last_progress_on is None or on > project.last_progress_on):
        project.last_progress_on = on
    project.updated_at = utcnow()


# --- use-cases --------------------------------------------------------------

def create_project(user, *, task_force, name, investor="", planned_investment, on=None,
                   stage=pipeline.RESERVE, contract_value=None, signing_grade=None,
                   note="", **other_fields):
    """Create a project that entered ``stage`` on ``on`` (default today).

    A project created directly at a later stage also reached every stage it
    skipped on that date. Raises ValidationError (nothing written) on bad input.
    """
    errors = {}
    fields = _clean_fields(errors, dict(
        other_fields, task_force=task_force, name=name, investor=investor,
        planned_investment=planned_investment, contract_value=contract_value,
        signing_grade=signing_grade))
    on = _date(errors, "on", clock.today() if on is None else on, label="日期")
    if stage not in pipeline.ORDER:
        errors["stage"] = "新建项目的阶段无效。"
    elif pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED) and not fields["contract_value"] \
            and "contract_value" not in errors:
        errors["contract_value"] = "签约及之后的阶段必须填写签约额（万元）。"
    _check_duplicate(errors, fields["task_force"], fields["name"], fields["investor"])
    if errors:
        raise ValidationError(errors)

    project = Project(stage=stage, **fields)
    for st, day in pipeline.first_reached_updates({}, stage, on).items():
        setattr(project, pipeline.FIRST_REACHED_FIELD[st], day)
    project.last_progress_on = on
    try:
        with database.atomic():
            project.save()
            StageEvent.create(project=project, from_stage=None, stage=stage, occurred_on=on,
                              user=_user(user), note=(note or "").strip() or "新建项目")
            audit.record(user, "project", project.id, "create", None, audit.snapshot(project))
    except IntegrityError as exc:
        project.id = None
        raise _duplicate_error() from exc
    return project


def update_project(user, project, **fields):
    """Edit ledger fields. Stage and first-reached dates are never touched here."""
    errors = {}
    cleaned = _clean_fields(errors, fields)
    fresh = Project.get_by_id(project.id)
    team = cleaned.get("task_force", fresh.task_force)
    name = cleaned.get("name", fresh.name)
    investor = cleaned.get("investor", fresh.investor)
    if {"task_force", "name", "investor"} & set(cleaned):
        _check_duplicate(errors, team, name, investor, exclude_id=fresh.id)
    signed = fresh.stage != pipeline.DROPPED \
        and pipeline.rank(fresh.stage) >= pipeline.rank(pipeline.SIGNED)
    if signed and "contract_value" in cleaned and not cleaned["contract_value"] \
            and "contract_value" not in errors:
        errors["contract_value"] = "已签约项目的签约额不能为空。"
    if errors:
        raise ValidationError(errors)

    before = audit.snapshot(fresh, list(cleaned))
    for key, value in cleaned.items():
        setattr(fresh, key, value)
    after = audit.snapshot(fresh, list(cleaned))
    old, new = audit.changed(before, after)
    if not new:
        return project
    fresh.updated_at = utcnow()
    try:
        with database.atomic():
            fresh.save(only=[getattr(Project, k) for k in new] + [Project.updated_at])
            audit.record(user, "project", project.id, "update", old, new)
    except IntegrityError as exc:
        raise _duplicate_error() from exc
    _copy(fresh, project)
    return project


def change_stage(user, project, stage, *, on, note="", contract_value=None, signing_grade=None,
                 reason=""):
    """Move ``project`` to ``stage`` on date ``on``; returns the StageEvent.

    First-reached dates only ever move earlier and are never cleared, so undo
    and redo never count a project twice; 退库 keeps what the project earned.
    """
    errors = {}
    day = _date(errors, "on", on)
    value = _amount(errors, "contract_value", contract_value, label="签约额")
    if signing_grade and signing_grade not in pipeline.SIGNING_GRADES:
        errors["signing_grade"] = "签约等级无效。"
    fresh = Project.get_by_id(project.id)
    check = pipeline.check_move(
        fresh.stage, stage, note=note, reason=reason,
        contract_value=value if value is not None else fresh.contract_value)
    for key, message in check.errors.items():
        errors.setdefault(key, message)
    if errors:
        raise ValidationError(errors)

    note, reason = (note or "").strip(), (reason or "").strip()
    before = audit.snapshot(fresh)
    from_stage = fresh.stage
    fresh.stage = stage
    if stage == pipeline.DROPPED:
        fresh.drop_reason = reason
        event_note = f"{reason}（{note}）" if note else reason
    else:
        if from_stage == pipeline.DROPPED:
            fresh.drop_reason = ""
        event_note = note
        if pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
            if value is not None:
                fresh.contract_value = value
            if signing_grade:
                fresh.signing_grade = signing_grade
    for st, first in pipeline.first_reached_updates(fresh.first_reached(), stage, day).items():
        setattr(fresh, pipeline.FIRST_REACHED_FIELD[st], first)
    _touch(fresh, day)
    old, new = audit.changed(before, audit.snapshot(fresh))
    with database.atomic():
        fresh.save()
        event = StageEvent.create(project=fresh, from_stage=from_stage, stage=stage,
                                  occurred_on=day, user=_user(user), note=event_note)
        audit.record(user, "project", fresh.id, "stage", old, new)
    _copy(fresh, project)
    return event


def record_funds(user, project, *, received_on, amount=None, currency="CNY", original_amount=None,
                 exchange_rate=None, source_layer="省外", evidence=""):
    """到位资金. ``amount`` is 万元; USD receipts give ``original_amount`` in 万美元
    and ``exchange_rate`` (元 per US$), and the 万元 amount is computed when not given."""
    errors = {}
    day = _date(errors, "received_on", received_on, label="到位日期")
    currency = (currency or "CNY").upper()
    if currency not in CURRENCIES:
        errors["currency"] = "币种只能是人民币或美元。"
    if source_layer not in FundReceipt.SOURCE_LAYERS:
        errors["source_layer"] = "资金来源层级无效。"
    evidence = (evidence or "").strip()
    original = rate = None
    if currency == "USD":
        original = _amount(errors, "original_amount", original_amount, required=True,
                           positive=True, label="美元金额")
        rate = _rate(errors, exchange_rate)
        amount = _amount(errors, "amount", amount, positive=True, label="到位金额")
        if amount is None and "amount" not in errors and original is not None and rate is not None:
            amount = money.to_decimal(original * rate)
            if amount > money.MAX_WAN:
                errors["amount"] = "折算后的到位金额超出合理范围。"
    else:
        amount = _amount(errors, "amount", amount, required=True, positive=True,
                         label="到位金额")
        if original_amount not in (None, "") or exchange_rate not in (None, ""):
            errors.setdefault("currency", "人民币到位资金不填写美元金额和汇率。")
    if errors:
        raise ValidationError(errors)

    fresh = Project.get_by_id(project.id)
    _touch(fresh, day)
    with database.atomic():
        receipt = FundReceipt.create(
            project=fresh, received_on=day, amount=amount, currency=currency,
            original_amount=original, exchange_rate=rate, source_layer=source_layer,
            evidence=evidence, user=_user(user))
        fresh.save(only=[Project.last_progress_on, Project.updated_at])
        audit.record(user, "fund_receipt", receipt.id, "create", None,
                     audit.snapshot(receipt))
    _copy(fresh, project)
    return receipt


def _rate(errors, value):
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


def add_capital_increase(user, project, *, on, amount, note=""):
    """增资 of a signed project: its own dated event, counted on ``on`` only."""
    errors = {}
    day = _date(errors, "on", on, label="增资日期")
    amount = _amount(errors, "amount", amount, required=True, positive=True, label="增资金额")
    fresh = Project.get_by_id(project.id)
    if fresh.signed_on is None:
        errors["amount"] = "只有已签约的项目才能登记增资。"
    elif fresh.stage == pipeline.DROPPED:
        errors["amount"] = "已退库项目不能登记增资。"
    elif day is not None and day < fresh.signed_on:
        errors["on"] = f"增资日期不能早于签约日期 {fresh.signed_on.isoformat()}。"
    if errors:
        raise ValidationError(errors)

    _touch(fresh, day)
    with database.atomic():
        increase = CapitalIncrease.create(project=fresh, occurred_on=day, amount=amount,
                                          note=(note or "").strip(), user=_user(user))
        fresh.save(only=[Project.last_progress_on, Project.updated_at])
        audit.record(user, "capital_increase", increase.id, "create", None,
                     audit.snapshot(increase))
    _copy(fresh, project)
    return increase


# --- helpers ------------------------------------------------------------------

def _user(user):
    return user if (user is not None and getattr(user, "id", None)) else None


def _copy(source, target):
    """Refresh the caller's instance with what was saved."""
    if source is not target:
        target.__data__.update(source.__data__)
        target._dirty.clear()
        for name in ("task_force", "county", "owner"):
            target.__rel__.pop(name, None)
        target.__rel__.update(source.__rel__)
