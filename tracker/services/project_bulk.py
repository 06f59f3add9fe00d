"""Many new projects in one transaction: the write path of docs/design.md for an import
batch (issue "Excel in and out"; services.import_commit).

The caller opens the transaction and calls :func:`lock` before anything else: the
projects the batch updates, then the task forces it writes to, each in id order (the
order of every other writer: project, then task force, then county). :func:`create` then
writes the plans of services.import_plan (what create_project and change_stage would have
written for each row):

- the batch's (task force, dedupe key) pairs are checked against the ledger in one pass
  inside the lock; the unique index stays the last word: an IntegrityError rolls
  everything back with a message naming the row;
- projects, stage events and audit rows (one ``import`` row per project naming the
  batch) are written with ``insert_many`` in chunks; PostgreSQL returns the new ids, on
  SQLite and MySQL they are read back by dedupe key;
- the maintained figures are updated once for the batch (figures.settle_created).
"""
from peewee import IntegrityError

from ..db import backend_name
from ..models import AuditLog, Project, StageEvent, TaskForce, utcnow
from . import audit, figures, tx
from .import_plan import fail
from .projects import DUPLICATE

CHUNK = 500          # rows per INSERT (Project has ~30 columns: far below any bind limit)
KEY_CHUNK = 900      # dedupe keys per SELECT ... IN
PROJECT_FIELDS = [f for f in Project._meta.sorted_fields if f is not Project.id]
EVENT_FIELDS = [StageEvent.project, StageEvent.from_stage, StageEvent.stage,
                StageEvent.occurred_on, StageEvent.user, StageEvent.note, StageEvent.created_at]
AUDIT_FIELDS = [AuditLog.user, AuditLog.at, AuditLog.entity, AuditLog.entity_id,
                AuditLog.action, AuditLog.before, AuditLog.after, AuditLog.origin]
INACTIVE = "专班「{}」已停用。"


def _chunks(items, size=CHUNK):
    return (items[start:start + size] for start in range(0, len(items), size))


def _user_id(user):
    return getattr(user, "id", None) or None


def lock(new_rows, updated_project_ids):
    """Take the batch's locks, first in its transaction: the projects it updates, then
    the task forces of every row; a new row for a task force deactivated since the
    preview is refused."""
    if updated_project_ids:
        for ids in _chunks(sorted(set(updated_project_ids)), KEY_CHUNK):
            tx.lock_all(Project.select(Project.id).where(Project.id.in_(ids)))
    teams = sorted({r.team.id for r in new_rows})
    locked = {}
    for ids in _chunks(teams, KEY_CHUNK):
        locked.update((t.id, t) for t in tx.lock_all(TaskForce.select().where(
            TaskForce.id.in_(ids))))
    for row in new_rows:
        team = locked.get(row.team.id)
        if team is None or not team.active:
            fail(row, ValueError(INACTIVE.format(row.team.name)))


def _ids(pairs):
    """{(task force id, dedupe key): project id} of the ledger's projects among ``pairs``."""
    found = {}
    teams = sorted({t for t, _ in pairs})
    keys = sorted({k for _, k in pairs})
    for chunk in _chunks(keys, KEY_CHUNK):
        query = (Project.select(Project.id, Project.task_force, Project.dedupe_key)
                 .where(Project.task_force.in_(teams) & Project.dedupe_key.in_(chunk)))
        for project_id, team, key in query.tuples():
            if (team, key) in pairs:
                found[(team, key)] = project_id
    return found


def _pair(planned):
    return (planned.project.task_force_id, planned.project.dedupe_key)


def _check_ledger(plans):
    pairs = {_pair(p) for p in plans}
    taken = _ids(pairs)
    for planned in plans:
        if _pair(planned) in taken:
            fail(planned.row, ValueError(DUPLICATE))


def _values(project):
    data = project.__data__
    return tuple(data.get(f.name) for f in PROJECT_FIELDS)


def _insert(chunk):
    query = Project.insert_many([_values(p.project) for p in chunk], fields=PROJECT_FIELDS)
    if backend_name() == "postgresql":
        query = query.returning(Project.id, Project.task_force, Project.dedupe_key)
        cursor = query.tuples().execute()
        return {(team, key): project_id for project_id, team, key in cursor}
    query.execute()
    return {}


def _culprit(chunk, exc):
    """After a chunk failed on the database's constraints: the first row that fails
    alone names the refusal (each try in its own savepoint)."""
    for planned in chunk:
        try:
            with tx.write():
                _insert([planned])
        except IntegrityError as error:
            exc = error
            break
    else:
        planned = chunk[0]
    text = str(exc).lower()
    fail(planned.row, ValueError(DUPLICATE if "unique" in text or "duplicate" in text
                                 else f"数据库拒绝写入（{exc}）"))


def _insert_projects(plans):
    ids = {}
    for chunk in _chunks(plans):
        try:
            with tx.write():   # a savepoint: a refused chunk leaves the transaction usable
                ids.update(_insert(chunk))
        except IntegrityError as exc:
            _culprit(chunk, exc)
    if backend_name() != "postgresql":
        ids = _ids({_pair(p) for p in plans})
    for planned in plans:
        planned.project.id = ids[_pair(planned)]


def _insert_events(user_id, plans):
    now = utcnow()
    rows = [(p.project.id, e["from_stage"], e["stage"], e["occurred_on"], user_id, e["note"], now)
            for p in plans for e in p.events]
    for chunk in _chunks(rows, 2 * CHUNK):
        StageEvent.insert_many(chunk, fields=EVENT_FIELDS).execute()


def _insert_audit(user_id, plans, batch_id):
    now, origin = utcnow(), audit._origin.get()   # the origin audit.record would use
    rows = [(user_id, now, "project", p.project.id, "import", "",
             audit.dump(dict(audit.snapshot(p.project), batch=batch_id)), origin)
            for p in plans]
    for chunk in _chunks(rows, 2 * CHUNK):
        AuditLog.insert_many(chunk, fields=AUDIT_FIELDS).execute()


def create(user, plans, batch_id):
    """Write ``plans`` (import_plan.Planned) inside the caller's transaction, after
    :func:`lock`; each plan's project gets its id. Raises ValidationError naming the row
    (the caller's transaction then rolls everything back)."""
    if not plans:
        return
    _check_ledger(plans)
    _insert_projects(plans)
    user_id = _user_id(user)
    _insert_events(user_id, plans)
    _insert_audit(user_id, plans, batch_id)
    figures.settle_created([p.project for p in plans])
