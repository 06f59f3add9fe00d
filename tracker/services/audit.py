"""Audit trail: who changed what, when, with before/after values."""
import datetime
import decimal
import json

from ..models import AuditLog


def _default(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


def dump(data):
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=_default) if data else ""


def snapshot(instance, fields=None):
    """Plain dict of a model instance's column values (foreign keys as ids)."""
    meta = instance._meta
    names = fields or [f.name for f in meta.sorted_fields]
    return {name: instance.__data__.get(name) for name in names}


def changed(before, after):
    """Only the keys whose values differ, as (before, after) dicts."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(user, entity, entity_id, action, before=None, after=None):
    return AuditLog.create(
        user=user if (user is not None and getattr(user, "id", None)) else None,
        entity=entity, entity_id=entity_id, action=action,
        before=dump(before), after=dump(after),
    )
