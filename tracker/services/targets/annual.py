"""Annual targets: versioned per task force and metric (this module), county funds goals
(services.targets.counties), checkpoint shares (services.targets.shares) and what a user
enters on the target pages (services.targets.entry).

Units: the functions of this module take and return amounts in 万元 (as stored), counts in
个. They are the programmatic API (seed data, tests, scripts). What a user types on the
target pages is in 亿元 and goes through services.targets.entry, which converts it and adds
the entry rules (reason required, confirmation of a suspicious revision).

Every change follows docs/design.md, The write path: input is checked first (one
ValidationError with zh-CN messages, nothing written); then one transaction locks the
task-force row(s) before it re-reads the current versions, writes only what changed and
records one audit row per new version. A target change adds the next version (never
updates a row), so a report can name the version it used. An empty value means
"unchanged": no call removes a target.
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from peewee import IntegrityError, fn

from ... import clock
from ...domain import metrics as M
from ...domain import money, periods
from ...domain import targets as D
from ...domain.errors import NotFound, ValidationError
from ...models import TaskForce, TaskForceTarget, utcnow
from .. import audit, dataversion, tx
from ..figures import metrics as Q
from .counties import (DEFAULT_GROWTH_PCT, active_counties, county_history,
    current_county_targets, get_county, set_county_target)
from .inputs import STALE_TARGET, amount, check_year
from .inputs import number, reason as clean_reason, row_id, user_or_none
from .shares import shares_for
from ..taskforces.teams import get_task_force

MISSING_TEAM = "专班不存在。"


# --- queries -----------------------------------------------------------------------------

def current_targets(year, task_force_ids=None):
    """{(task_force_id, metric): latest TaskForceTarget} for ``year``."""
    q = TaskForceTarget.select().where(TaskForceTarget.year == year)
    if task_force_ids is not None:
        q = q.where(TaskForceTarget.task_force.in_(list(task_force_ids)))
    out = {}
    for row in q.order_by(TaskForceTarget.version):
        out[(row.task_force_id, row.metric)] = row
    return out


@dataclass(frozen=True)
class TargetInForce:
    """The target version a view of a past date judges with (docs/design.md, Frozen
    quarter snapshots): the newest version set on or before that date, else the first."""
    value: Decimal
    version: int
    latest_version: int     # newest version of the year (> version: revised later)
    before_first: bool      # the date precedes every version: the first one is used


def targets_in_force(year, as_of, task_force_ids=None, tz=None):
    """{(task_force_id, metric): TargetInForce} of ``year`` on ``as_of`` (one query). A
    version is in force on ``as_of`` when its set_at (UTC) falls on or before ``as_of``
    in the app's zone (``tz``, default the configured one)."""
    # set on or before as_of (local) = set before the next local midnight (UTC), compared
    # in SQL: no stored timestamp is parsed
    cutoff = clock.local_midnight_utc(as_of + datetime.timedelta(days=1), tz or clock.zone())
    q = (TaskForceTarget.select(TaskForceTarget.task_force, TaskForceTarget.metric,
                                TaskForceTarget.value, TaskForceTarget.version,
                                TaskForceTarget.set_at < cutoff)
         .where(TaskForceTarget.year == year))
    if task_force_ids is not None:
        q = q.where(TaskForceTarget.task_force.in_(list(task_force_ids)))
    out = {}
    for team, metric, value, version, set_before in q.order_by(TaskForceTarget.version).tuples():
        key = (team, metric)
        in_force = bool(set_before)
        prev = out.get(key)
        if prev is None or in_force:
            out[key] = TargetInForce(value, version, version,
                                     not in_force and (prev is None or prev.before_first))
        else:
            out[key] = TargetInForce(prev.value, prev.version, version, prev.before_first)
    return out


def all_set_after(year, as_of):
    """True when every target of the active task forces for ``year`` was set after
    ``as_of`` and never revised: a view of that date then judges every metric by its first
    version, and the dashboard says so once instead of on each metric."""
    found = targets_in_force(year, as_of, [t.id for t in active_task_forces()]).values()
    return D.all_first_unrevised((t.before_first, t.latest_version > t.version) for t in found)


def current_target(task_force, year, metric):
    """Latest TaskForceTarget version (or None when never set)."""
    team_id = int(getattr(task_force, "id", task_force))
    return (TaskForceTarget.select()
            .where((TaskForceTarget.task_force == team_id) & (TaskForceTarget.year == year)
                   & (TaskForceTarget.metric == metric))
            .order_by(TaskForceTarget.version.desc()).first())


def history(year, task_force=None):
    """Every target version of ``year``, newest first."""
    q = (TaskForceTarget.select(TaskForceTarget, TaskForce)
         .join(TaskForce).where(TaskForceTarget.year == year))
    if task_force is not None:
        q = q.where(TaskForceTarget.task_force == int(getattr(task_force, "id", task_force)))
    return list(q.order_by(TaskForceTarget.set_at.desc(), TaskForceTarget.id.desc()))


def latest_version_number(year):
    """Highest target version number of ``year`` (0 when none): a cheap change marker."""
    value = (TaskForceTarget.select(fn.MAX(TaskForceTarget.version))
             .where(TaskForceTarget.year == year).scalar())
    return value or 0


def active_task_forces():
    """Active task forces in code order (the rows the target pages list)."""
    return list(TaskForce.select().where(TaskForce.active == True)  # noqa: E712
                .order_by(TaskForce.code))


def target_table(year):
    """[(task force, {metric: current TaskForceTarget or None})] of every active task force."""
    current = current_targets(year)
    return [(team, {key: current.get((team.id, key)) for key in M.KEYS})
            for team in active_task_forces()]


def page_data(year):
    """Everything the 目标设置 page shows for ``year`` (one read per table)."""
    teams = active_task_forces()
    counties = active_counties()
    return {
        "teams": teams, "counties": counties,
        "current": current_targets(year, [t.id for t in teams]), "shares": shares_for(year),
        "last_year": Q.county_funds_between(periods.year_start(year - 1),
                                            periods.year_end(year - 1), [c.id for c in counties]),
        "county_targets": current_county_targets(year, [c.id for c in counties]),
        "history": history(year)[:100], "county_history": county_history(year)[:50],
    }


def team_form_data(year, code):
    """(task force, {metric: current version or None}, history) for the edit page;
    NotFound for an unknown code."""
    team = get_task_force(code)
    current = current_targets(year, [team.id])
    return team, {key: current.get((team.id, key)) for key in M.KEYS}, history(year, team.id)


def county_form_data(year, code):
    """(county, current CountyTarget or None, last year's ledger funds or None)."""
    county = get_county(code)
    last_year = Q.county_funds_between(periods.year_start(year - 1), periods.year_end(year - 1),
                                       [county.id]).get(county.id)
    return county, current_county_targets(year, [county.id]).get(county.id), last_year


# --- writes ------------------------------------------------------------------------------

def _parse(errors, values):
    """{metric: Decimal or None} from raw strings keyed by metric (errors keyed the same)."""
    parsed = {}
    for key, raw in values.items():
        if key not in M.METRICS:
            errors[key] = "未知指标。"
            continue
        parsed[key] = number(errors, key, raw, label="目标值", integer=not M.get(key).is_money)
    return parsed


def _lock_team(team_id):
    try:
        return tx.lock(TaskForce, TaskForce.id == team_id, missing=MISSING_TEAM)
    except NotFound as exc:
        raise ValidationError({"task_force": MISSING_TEAM}) from exc


def _write(user, team_id, year, metric, value, reason, current):
    """The next version of one target after ``current`` (the team row is locked), or None
    when the value is unchanged or empty (empty never removes a target)."""
    if value is None or (current.value if current else None) == value:
        return None
    version = (current.version if current else 0) + 1
    row = TaskForceTarget.create(task_force=team_id, year=year, metric=metric, version=version,
                                 value=value, reason=reason, set_by=user_or_none(user),
                                 set_at=utcnow())
    dataversion.changed()
    audit.record(user, "target", row.id, "set",
                 {"value": amount(current.value), "version": current.version}
                 if current else None,
                 {"task_force": team_id, "year": year, "metric": metric, "value": value,
                  "version": version, "reason": reason})
    return row


def _set_locked(user, team_id, year, parsed, reason, review=None):
    """Lock the team, re-read its current versions, write the changed ones: [(metric, new
    row or None)]. ``review({metric: current value or None})``, when given, runs under the
    lock before any write and may raise (services.targets.entry: confirmation)."""
    with tx.write():
        _lock_team(team_id)
        current = current_targets(year, [team_id])
        if review is not None:
            review({key: getattr(current.get((team_id, key)), "value", None) for key in parsed})
        return [(key, _write(user, team_id, year, key, value, reason,
                             current.get((team_id, key))))
                for key, value in parsed.items()]


def _checked(task_force, year, values, reason):
    errors = {}
    team_id = row_id(errors, "task_force", task_force, MISSING_TEAM)
    year = check_year(year, errors)
    parsed = _parse(errors, values)
    reason = clean_reason(errors, reason)
    if errors:
        raise ValidationError(errors)
    return team_id, year, parsed, reason


def set_targets(user, task_force, year, values, reason="", *, review=None):
    """Set several metrics of one task force at once (``values``: {metric: raw input in
    万元, or a count}; empty = unchanged).

    Every value is checked first (errors keyed by metric), then one transaction locks the
    task force, re-reads the current versions and writes a new version of each changed
    metric. Returns the number of new versions."""
    team_id, year, parsed, reason = _checked(task_force, year, values, reason)
    return write_parsed(user, team_id, year, parsed, reason, review=review)


def write_parsed(user, team_id, year, parsed, reason, *, review=None):
    """The transaction of :func:`set_targets` for values already checked ({metric: 万元
    Decimal, count or None}); returns the number of new versions."""
    try:
        written = _set_locked(user, team_id, year, parsed, reason, review)
    except IntegrityError as exc:      # only if a writer bypassed the lock
        raise ValidationError({"__all__": STALE_TARGET}) from exc
    return sum(1 for _key, row in written if row is not None)


def set_target(user, task_force, year, metric, value, reason=""):
    """Record a new version of one annual target (``value`` in 万元, or a count; empty:
    unchanged).

    Returns the new TaskForceTarget, or the current one when the value is unchanged (None
    when there never was one). Raises ValidationError on bad input."""
    errors = {}
    team_id = row_id(errors, "task_force", task_force, MISSING_TEAM)
    year = check_year(year, errors)
    if metric in M.METRICS:
        value = number(errors, "value", value, label="目标值",
                       integer=not M.get(metric).is_money)
    else:
        errors["metric"] = "未知指标。"
    reason = clean_reason(errors, reason)
    if errors:
        raise ValidationError(errors)
    try:
        ((_key, row),) = _set_locked(user, team_id, year, {metric: value}, reason)
    except IntegrityError as exc:      # only if a writer bypassed the lock
        raise ValidationError({"value": STALE_TARGET}) from exc
    return row if row is not None else current_target(team_id, year, metric)


OVERWRITE_CONFIRM = "覆盖将替换以下 {n} 个已修改的目标，请核对后确认。"


def _defaults():
    return {m.key: m.default_target for m in M.METRICS.values() if m.default_target is not None}


def _replaced(teams, existing, defaults):
    """The current targets that differ from the default (what an overwrite replaces), as
    plain dicts in team-code and metric order; amounts in 万元."""
    out = []
    for team in sorted(teams, key=lambda t: t.code):
        for key, value in defaults.items():
            current = existing.get((team.id, key))
            if current is not None and current.value != value:
                out.append({"task_force": team.code, "task_force_name": team.name,
                            "metric": key, "label": M.label(key),
                            "is_money": M.get(key).is_money, "version": current.version,
                            "current": current.value, "default": value})
    return out


def _replace_token(items):
    return D.token((i["task_force"], i["metric"], i["version"], i["current"]) for i in items)


def apply_defaults(year, user, *, overwrite=False, reason="应用默认目标", confirm=None):
    """Give every active task force the default targets for ``year``.

    Metrics without a default (funds) are skipped. Without ``overwrite`` a target already
    set is kept. With ``overwrite``, targets that differ from the default are replaced
    only when ``confirm`` is the token of exactly those targets: otherwise nothing is
    written and NeedsConfirmation carries the list (``items``, 万元) and its ``token``.
    All active task forces are locked first, so a second caller waits and then finds
    nothing to change. Returns the number of new versions written."""
    errors = {}
    year = check_year(year, errors)
    reason = clean_reason(errors, reason, required=True)
    if errors:
        raise ValidationError(errors)
    defaults = _defaults()
    try:
        with tx.write():
            teams = tx.lock_all(TaskForce.select().where(TaskForce.active == True))  # noqa: E712
            existing = current_targets(year, [t.id for t in teams])
            if overwrite:
                items = _replaced(teams, existing, defaults)
                if items and confirm != _replace_token(items):
                    raise D.NeedsConfirmation(
                        {"__all__": OVERWRITE_CONFIRM.format(n=len(items))},
                        _replace_token(items), items)
            written = 0
            for team in teams:
                for key, value in defaults.items():
                    current = existing.get((team.id, key))
                    if current is not None and not overwrite:
                        continue
                    if _write(user, team.id, year, key, value, reason, current) is not None:
                        written += 1
    except IntegrityError as exc:      # only if a writer bypassed the lock
        raise ValidationError({"__all__": STALE_TARGET}) from exc
    return written


DEMO_GROWTH_FACTORS = tuple(Decimal(f) for f in ("1.25", "1.12", "1.31", "0.95", "1.2", "1.08",
                                                   "1.4"))


def seed_demo_targets(today, user=None):
    """Demo data (seed.py): default targets for this year and last year, and a
    hand-entered base for counties whose base year has no ledger history.

    Idempotent. Returns (target versions written, county bases written).
    """
    written = sum(apply_defaults(year, user, reason="演示数据：默认目标")
                  for year in (today.year - 1, today.year))
    bases = sum(_seed_county_bases(year, user) for year in (today.year - 1, today.year))
    return written, bases


def _seed_county_bases(year, user):
    counties = active_counties()
    ids = [c.id for c in counties]
    history_ = Q.county_funds_between(periods.year_start(year - 1), periods.year_end(year - 1),
                                      ids)
    actual = Q.county_funds_between(periods.year_start(year), periods.year_end(year), ids)
    goals = current_county_targets(year, ids)
    bases = 0
    for index, county in enumerate(counties):
        if history_.get(county.id) or county.id in goals or not actual.get(county.id):
            continue
        # no ledger history for the base year: a believable hand base, so that
        # the counties grow by different rates around the 20% goal
        factor = DEMO_GROWTH_FACTORS[index % len(DEMO_GROWTH_FACTORS)]
        base = money.to_decimal((actual[county.id] / factor).quantize(Decimal(1)))
        set_county_target(user, county.id, year, base=base, growth_pct=DEFAULT_GROWTH_PCT,
                          reason="演示数据：基数年份无台账记录，按统计数手工录入")
        bases += 1
    return bases
