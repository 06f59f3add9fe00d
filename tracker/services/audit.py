"""Audit trail: who changed what, when, with before/after values."""
import contextlib
import contextvars
import datetime
import decimal
import json

from ..models import AuditLog

# Where the current change comes from: the client address of a request, "cli" for a
# command, "scheduler" for a job. Set by the entry point (web hook, CLI, job runner).
_origin = contextvars.ContextVar("audit_origin", default="")
# Columns kept for the machine, not for a person reading the trail.
INTERNAL = frozenset({"dedupe_key", "version"})


def set_origin(origin):
    """Name where the following changes come from (bounded to the column's 64 characters)."""
    return _origin.set((origin or "")[:64])


def current_origin():
    """Where the current change comes from (what :func:`record` stores)."""
    return _origin.get()


@contextlib.contextmanager
def origin(value):
    token = set_origin(value)
    try:
        yield
    finally:
        _origin.reset(token)


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
    names = fields or [f.name for f in meta.sorted_fields if f.name not in INTERNAL]
    return {name: instance.__data__.get(name) for name in names}


def changed(before, after):
    """Only the keys whose values differ, as (before, after) dicts."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def actor(user):
    """The user to store as who did it: None for the system (no user, or one not saved)."""
    return user if (user is not None and getattr(user, "id", None)) else None


def record(user, entity, entity_id, action, before=None, after=None):
    return AuditLog.create(
        user=actor(user),
        entity=entity, entity_id=entity_id, action=action,
        before=dump(before), after=dump(after), origin=current_origin(),
    )
