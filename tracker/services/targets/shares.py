"""Checkpoint shares: the cumulative share of the annual target due at the end of each
quarter, per year and metric (docs/design.md, Milestones and status bands).

A year without stored rows uses the default 25/50/75/100. A save is one transaction: rows
that must come into being are inserted first with "insert, or do nothing when it exists"
on the unique (year, metric) key -- a second writer waits there for the first -- then every
row of the year is locked and re-read, and only the changed ones are updated, one audit
row each.
"""
from decimal import Decimal

from peewee import IntegrityError, OperationalError

from ...db import database
from ...domain import metrics as M
from ...domain.errors import ValidationError
from ...domain.progress import DEFAULT_SHARES
from ...domain.targets import share_errors
from ...models import CheckpointShare, utcnow
from .. import audit, dataversion, tx
from .inputs import check_year, number, user_or_none

STALE_SHARES = "节点比例刚被他人修改，请刷新后重试。"


def shares_for(year):
    """{metric: (q1, q2, q3, q4) cumulative percent} for ``year`` (defaults filled in)."""
    out = {key: DEFAULT_SHARES for key in M.KEYS}
    for row in CheckpointShare.select().where(CheckpointShare.year == year):
        if row.metric in out:
            out[row.metric] = tuple(Decimal(s) for s in row.shares)
    return out


def _parse(errors, shares, field):
    """Four Decimals (None where missing or bad); ``field(n)`` names quarter n's field."""
    values = []
    for i, raw in enumerate(shares, start=1):
        name = field(i)
        value = number(errors, name, raw, label=f"第{i}季度累计比例", maximum=Decimal(100))
        if value is None and name not in errors:
            errors[name] = f"请填写第{i}季度累计比例。"
        values.append(value)
    return values


def set_shares(user, year, metric, shares):
    """Store the cumulative checkpoint shares of one metric for ``year`` (errors keyed
    "q<n>"); returns the row (None when the defaults stay in force and no row was needed)."""
    errors = {}
    year = check_year(year, errors)
    if metric not in M.METRICS:
        errors["metric"] = "未知指标。"
    values = _parse(errors, shares, lambda i: f"q{i}")
    for q, message in share_errors(values).items():
        errors.setdefault(f"q{q}", message)
    if errors:
        raise ValidationError(errors)
    _write(user, year, {metric: values})
    return CheckpointShare.get_or_none((CheckpointShare.year == year)
                                       & (CheckpointShare.metric == metric))


def set_all_shares(user, year, shares_by_metric):
    """Store the shares of several metrics: all checked first (errors keyed
    "<metric>_q<n>", a decrease on the quarter lower than the one before), then written in
    one transaction; unchanged ones are skipped.
    Returns the number of metrics changed."""
    errors = {}
    year = check_year(year, errors)
    parsed = {}
    for key, shares in shares_by_metric.items():
        if key not in M.METRICS:
            errors[key] = "未知指标。"
            continue
        values = _parse(errors, shares, lambda i, key=key: f"{key}_q{i}")
        for q, message in share_errors(values).items():    # on the quarter that is wrong
            errors.setdefault(f"{key}_q{q}", message)
        parsed[key] = values
    if errors:
        raise ValidationError(errors)
    return _write(user, year, parsed)


def _insert_missing(user, year, parsed):
    """Insert a row for each metric that needs one (not the defaults) and has none; a
    row another writer is inserting is waited for and left alone. Returns the metrics
    inserted here. Fixed metric order: two writers never wait for each other in a circle."""
    created = set()
    for key in M.KEYS:
        values = parsed.get(key)
        if values is None or tuple(values) == tuple(DEFAULT_SHARES):
            continue
        inserted = (CheckpointShare.insert(
            year=year, metric=key, q1=values[0], q2=values[1], q3=values[2], q4=values[3],
            updated_by=user_or_none(user), updated_at=utcnow())
            .on_conflict_ignore().as_rowcount().execute())
        if inserted:
            created.add(key)
    return created


def _write(user, year, parsed):
    """One transaction; retried (at most twice) when the database chose it as the victim
    of a deadlock. MariaDB's InnoDB may: two first inserts of one (year, metric) key wait
    for each other's gap locks. The victim was rolled back whole, so a retry waits for the
    winner and then sees its rows."""
    for attempt in range(3):
        try:
            return _write_once(user, year, parsed)
        except OperationalError as exc:
            if attempt == 2 or database.in_transaction() or not _is_deadlock(exc):
                raise
    raise AssertionError("unreachable")


def _is_deadlock(exc):
    code = getattr(exc, "args", (None,))[0] if exc.args else None
    return code == 1213 or getattr(exc, "pgcode", None) == "40P01" \
        or type(exc.__cause__ or exc).__name__ == "DeadlockDetected"


def _write_once(user, year, parsed):
    try:
        with tx.write():
            dataversion.changed()
            created = _insert_missing(user, year, parsed)
            rows = {row.metric: row for row in
                    tx.lock_all(CheckpointShare.select().where(CheckpointShare.year == year))}
            changed = 0
            for key, values in parsed.items():
                row = rows.get(key)
                if key in created:
                    audit.record(user, "checkpoint_share", row.id, "set", None,
                                 {"year": year, "metric": key,
                                  "shares": _fmt(values)})
                    changed += 1
                elif _update(user, row, values):
                    changed += 1
    except IntegrityError as exc:
        raise ValidationError({"__all__": STALE_SHARES}) from exc
    return changed


def _fmt(shares):
    return [f"{Decimal(s):.2f}" for s in shares]


def _update(user, row, values):
    """Update one locked row when its shares differ; False when nothing changed (or no
    row exists and the defaults are asked for)."""
    if row is None or tuple(row.shares) == tuple(values):
        return False
    before = {"shares": _fmt(row.shares)}
    row.q1, row.q2, row.q3, row.q4 = values
    row.updated_by = user_or_none(user)
    row.updated_at = utcnow()
    row.save(only=[CheckpointShare.q1, CheckpointShare.q2, CheckpointShare.q3,
                   CheckpointShare.q4, CheckpointShare.updated_by, CheckpointShare.updated_at])
    audit.record(user, "checkpoint_share", row.id, "set", before,
                 {"year": row.year, "metric": row.metric, "shares": _fmt(values)})
    return True
