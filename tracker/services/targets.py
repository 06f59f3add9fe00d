"""Annual targets: versioned per task force and metric, county funds goals,
checkpoint shares. Every change validates first (ValidationError with zh-CN
messages, nothing written), then writes in one transaction with an audit row.

A target change adds the next version (never updates a row), so a report can
name the version it used.
"""
from decimal import Decimal

from peewee import IntegrityError, fn

from ..db import database
from ..domain import metrics as M
from ..domain import money
from ..domain.progress import DEFAULT_SHARES, validate_shares
from ..models import CheckpointShare, County, CountyTarget, TaskForce, TaskForceTarget, utcnow
from . import audit
from ..domain.errors import ValidationError

MIN_YEAR, MAX_YEAR = 2000, 2100
DEFAULT_GROWTH_PCT = Decimal(20)
MAX_GROWTH_PCT = Decimal(1000)


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


def _number(errors, field, value, *, label, integer=False, maximum=money.MAX_WAN):
    """Decimal >= 0 or None for empty input; records an error for bad values."""
    number, error = money.check_number(value, label=label, integer=integer, maximum=maximum)
    if error:
        errors[field] = error
    return number


def _amt(value):
    return None if value is None else money.to_decimal(value)


def _user(user):
    return user if (user is not None and getattr(user, "id", None)) else None


def _team(errors, task_force):
    if isinstance(task_force, TaskForce):
        return task_force
    try:
        team = TaskForce.get_or_none(TaskForce.id == int(task_force))
    except (TypeError, ValueError):
        team = None
    if team is None:
        errors["task_force"] = "专班不存在。"
    return team


# --- task force targets -------------------------------------------------------

def current_targets(year, task_force_ids=None):
    """{(task_force_id, metric): latest TaskForceTarget} for ``year``."""
    q = TaskForceTarget.select().where(TaskForceTarget.year == year)
    if task_force_ids is not None:
        q = q.where(TaskForceTarget.task_force.in_(list(task_force_ids)))
    out = {}
    for row in q.order_by(TaskForceTarget.version):
        out[(row.task_force_id, row.metric)] = row
    return out


def current_target(task_force, year, metric):
    """Latest TaskForceTarget version (or None when never set)."""
    team_id = task_force.id if isinstance(task_force, TaskForce) else int(task_force)
    return (TaskForceTarget.select()
            .where((TaskForceTarget.task_force == team_id) & (TaskForceTarget.year == year)
                   & (TaskForceTarget.metric == metric))
            .order_by(TaskForceTarget.version.desc()).first())


def history(year, task_force=None):
    """Every target version of ``year``, newest first."""
    q = (TaskForceTarget.select(TaskForceTarget, TaskForce)
         .join(TaskForce).where(TaskForceTarget.year == year))
    if task_force is not None:
        q = q.where(TaskForceTarget.task_force == task_force)
    return list(q.order_by(TaskForceTarget.set_at.desc(), TaskForceTarget.id.desc()))


def set_target(user, task_force, year, metric, value, reason=""):
    """Record a new version of a task force's annual target.

    ``value`` empty/None clears the target (a version with no value). Returns
    the new TaskForceTarget, or the current one unchanged when the value is the
    same. Raises ValidationError on bad input.
    """
    errors = {}
    team = _team(errors, task_force)
    year = check_year(year, errors)
    if metric not in M.METRICS:
        errors["metric"] = "未知指标。"
        metric_def = None
    else:
        metric_def = M.get(metric)
    value = _number(errors, "value", value, label="目标值",
                    integer=bool(metric_def and not metric_def.is_money))
    reason = (reason or "").strip()
    if len(reason) > 500:
        errors["reason"] = "修改原因不能超过 500 个字。"
    if errors:
        raise ValidationError(errors)

    current = current_target(team, year, metric)
    if current is not None and current.value == value:
        return current
    if current is None and value is None:
        return None
    version = (current.version if current else 0) + 1
    try:
        with database.atomic():
            row = TaskForceTarget.create(task_force=team, year=year, metric=metric,
                                         version=version, value=value, reason=reason,
                                         set_by=_user(user), set_at=utcnow())
            audit.record(user, "target", row.id, "set",
                         {"value": _amt(current.value), "version": current.version} if current else None,
                         {"task_force": team.id, "year": year, "metric": metric,
                          "value": value, "version": version, "reason": reason})
    except IntegrityError as exc:
        raise ValidationError({"value": "目标刚被他人修改，请刷新后重试。"}) from exc
    return row


def set_targets(user, task_force, year, values, reason=""):
    """Set several metrics of one task force at once: every value is checked
    first (errors keyed by metric), then all versions are written in one
    transaction. Unchanged values write nothing. Returns the number of new versions."""
    errors = {}
    team = _team(errors, task_force)
    year = check_year(year, errors)
    for key, raw in values.items():
        if key not in M.METRICS:
            errors[key] = "未知指标。"
            continue
        _number(errors, key, raw, label="目标值", integer=not M.get(key).is_money)
    if len((reason or "").strip()) > 500:
        errors["reason"] = "修改原因不能超过 500 个字。"
    if errors:
        raise ValidationError(errors)
    written = 0
    with database.atomic():
        for key, raw in values.items():
            before = current_target(team, year, key)
            row = set_target(user, team, year, key, raw, reason)
            if row is not None and (before is None or row.id != before.id):
                written += 1
    return written


def apply_defaults(year, user, *, overwrite=False, reason="应用默认目标"):
    """Give every active task force the default targets for ``year``.

    Metrics without a default (funds) are skipped. Without ``overwrite`` a
    target already set is kept. Returns the number of new versions written.
    """
    errors = {}
    year = check_year(year, errors)
    if errors:
        raise ValidationError(errors)
    teams = list(TaskForce.select().where(TaskForce.active == True))  # noqa: E712
    existing = current_targets(year, [t.id for t in teams])
    written = 0
    with database.atomic():
        for team in teams:
            for metric in M.METRICS.values():
                if metric.default_target is None:
                    continue
                current = existing.get((team.id, metric.key))
                if current is not None and (not overwrite or current.value is not None
                                            and current.value == metric.default_target):
                    continue
                set_target(user, team, year, metric.key, metric.default_target, reason)
                written += 1
    return written


# --- checkpoint shares -----------------------------------------------------------

def shares_for(year):
    """{metric: (q1, q2, q3, q4) cumulative percent} for ``year`` (defaults filled in)."""
    out = {key: DEFAULT_SHARES for key in M.KEYS}
    for row in CheckpointShare.select().where(CheckpointShare.year == year):
        if row.metric in out:
            out[row.metric] = tuple(Decimal(s) for s in row.shares)
    return out


def set_shares(user, year, metric, shares):
    """Store the cumulative checkpoint shares of one metric for ``year``."""
    errors = {}
    year = check_year(year, errors)
    if metric not in M.METRICS:
        errors["metric"] = "未知指标。"
    values = []
    for i, raw in enumerate(shares, start=1):
        value = _number(errors, f"q{i}", raw, label=f"第{i}季度累计比例",
                        maximum=Decimal(100))
        if value is None and f"q{i}" not in errors:
            errors[f"q{i}"] = f"请填写第{i}季度累计比例。"
        values.append(value)
    if not errors:
        message = validate_shares(values)
        if message:
            errors["shares"] = message
    if errors:
        raise ValidationError(errors)

    with database.atomic():
        row = CheckpointShare.get_or_none((CheckpointShare.year == year)
                                          & (CheckpointShare.metric == metric))
        before = {"shares": [str(s) for s in row.shares]} if row else None
        if row is None:
            row = CheckpointShare(year=year, metric=metric)
        row.q1, row.q2, row.q3, row.q4 = values
        row.updated_by = _user(user)
        row.updated_at = utcnow()
        row.save()
        audit.record(user, "checkpoint_share", row.id, "set", before,
                     {"year": year, "metric": metric, "shares": [str(v) for v in values]})
    return row


def set_all_shares(user, year, shares_by_metric):
    """Store the shares of several metrics: all checked first (errors keyed
    "<metric>_q<n>"), then written in one transaction; unchanged ones are skipped.
    Returns the number of metrics changed."""
    errors = {}
    year = check_year(year, errors)
    parsed = {}
    for key, shares in shares_by_metric.items():
        if key not in M.METRICS:
            errors[key] = "未知指标。"
            continue
        values = []
        for i, raw in enumerate(shares, start=1):
            field = f"{key}_q{i}"
            value = _number(errors, field, raw, label=f"第{i}季度累计比例", maximum=Decimal(100))
            if value is None and field not in errors:
                errors[field] = f"请填写第{i}季度累计比例。"
            values.append(value)
        if not any(k.startswith(f"{key}_q") for k in errors):
            message = validate_shares(values)
            if message:
                errors[f"{key}_q4"] = message
        parsed[key] = values
    if errors:
        raise ValidationError(errors)
    current = shares_for(year)
    changed = 0
    with database.atomic():
        for key, values in parsed.items():
            if tuple(current[key]) != tuple(values):
                set_shares(user, year, key, values)
                changed += 1
    return changed


# --- county / zone funds goals -----------------------------------------------------

def current_county_targets(year, county_ids=None):
    """{county_id: latest CountyTarget} for ``year``."""
    q = CountyTarget.select().where(CountyTarget.year == year)
    if county_ids is not None:
        q = q.where(CountyTarget.county.in_(list(county_ids)))
    out = {}
    for row in q.order_by(CountyTarget.version):
        out[row.county_id] = row
    return out


def county_history(year):
    return list(CountyTarget.select(CountyTarget, County).join(County)
                .where(CountyTarget.year == year)
                .order_by(CountyTarget.set_at.desc(), CountyTarget.id.desc()))


def set_county_target(user, county, year, *, base=None, growth_pct=DEFAULT_GROWTH_PCT,
                      reason=""):
    """New version of a county's funds goal. ``base`` empty: use last year's
    ledger actual; a number: the hand-entered base (when history is missing)."""
    errors = {}
    if not isinstance(county, County):
        try:
            county = County.get_or_none(County.id == int(county))
        except (TypeError, ValueError):
            county = None
        if county is None:
            errors["county"] = "区县/开发区不存在。"
    year = check_year(year, errors)
    base = _number(errors, "base", base, label="基数")
    growth = _number(errors, "growth_pct", growth_pct, label="增长目标", maximum=MAX_GROWTH_PCT)
    if growth is None and "growth_pct" not in errors:
        errors["growth_pct"] = "请填写增长目标（%）。"
    reason = (reason or "").strip()
    if len(reason) > 500:
        errors["reason"] = "修改原因不能超过 500 个字。"
    if errors:
        raise ValidationError(errors)

    current = current_county_targets(year, [county.id]).get(county.id)
    if current is not None and current.base == base and current.growth_pct == growth:
        return current
    version = (current.version if current else 0) + 1
    try:
        with database.atomic():
            row = CountyTarget.create(county=county, year=year, version=version, base=base,
                                      growth_pct=growth, reason=reason, set_by=_user(user),
                                      set_at=utcnow())
            audit.record(user, "county_target", row.id, "set",
                         {"base": _amt(current.base), "growth_pct": _amt(current.growth_pct),
                          "version": current.version} if current else None,
                         {"county": county.id, "year": year, "base": base,
                          "growth_pct": growth, "version": version, "reason": reason})
    except IntegrityError as exc:
        raise ValidationError({"base": "目标刚被他人修改，请刷新后重试。"}) from exc
    return row


def latest_version_number(year):
    """Highest target version number of ``year`` (0 when none): a cheap change marker."""
    value = (TaskForceTarget.select(fn.MAX(TaskForceTarget.version))
             .where(TaskForceTarget.year == year).scalar())
    return value or 0


DEMO_GROWTH_FACTORS = tuple(Decimal(f) for f in ("1.25", "1.12", "1.31", "0.95", "1.2", "1.08",
                                                   "1.4"))


def seed_demo_targets(today, user=None):
    """Demo data (seed.py): default targets for this year and last year, and a
    hand-entered base for counties whose base year has no ledger history.

    Idempotent. Returns (target versions written, county bases written).
    """
    from ..domain import periods
    from . import metrics as Q

    written = sum(apply_defaults(year, user, reason="演示数据：默认目标")
                  for year in (today.year - 1, today.year))
    bases = 0
    counties = list(County.select().where(County.active == True)  # noqa: E712
                    .order_by(County.code))
    ids = [c.id for c in counties]
    for year in (today.year - 1, today.year):
        history = Q.county_funds_between(periods.year_start(year - 1),
                                         periods.year_end(year - 1), ids)
        actual = Q.county_funds_between(periods.year_start(year), periods.year_end(year), ids)
        goals = current_county_targets(year, ids)
        for index, county in enumerate(counties):
            if history.get(county.id) or county.id in goals or not actual.get(county.id):
                continue
            # no ledger history for the base year: a believable hand base, so that
            # the counties grow by different rates around the 20% goal
            factor = DEMO_GROWTH_FACTORS[index % len(DEMO_GROWTH_FACTORS)]
            base = money.to_decimal((actual[county.id] / factor).quantize(Decimal(1)))
            set_county_target(user, county, year, base=base, growth_pct=DEFAULT_GROWTH_PCT,
                              reason="演示数据：基数年份无台账记录，按统计数手工录入")
            bases += 1
    return written, bases
