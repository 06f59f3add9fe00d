"""Many new projects in one transaction: the write path of docs/design.md for an import
batch (issue "Excel in and out"; services.imports.commit).

The caller opens the transaction and calls :func:`lock` before anything else: the
projects the batch updates, then the task forces it writes to, each in id order (the
order of every other writer: project, then task force, then county). :func:`create` then
writes the plans of services.imports.plan (what create_project and change_stage would have
written for each row):

- the batch's (task force, dedupe key) pairs are checked against the ledger in one pass
  inside the lock; the unique index stays the last word: an IntegrityError rolls
  everything back with a message naming the row;
- projects, stage events and audit rows (one ``import`` row per project naming the
  batch) are written in chunks (insert_rows: one multi-row INSERT per chunk, from
  peewee's own SQL for the backend); PostgreSQL returns the new ids, on
  SQLite and MySQL they are read back by dedupe key;
- the maintained figures are updated once for the batch (figures.settle_created).
"""
from peewee import IntegrityError, fn

from ...db import backend_name
from ...models import AuditLog, Project, StageEvent, TaskForce, utcnow
from .. import audit, tx
from ..rows import insert_rows
from ..figures import monthly, years
from .plan import fail
from ..ledger.projects import DUPLICATE

CHUNK = 500          # rows per INSERT (Project has ~30 columns: far below any bind limit)
KEY_CHUNK = 900      # dedupe keys per SELECT ... IN
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


def _insert(chunk):
    rows = [p.project.__data__ for p in chunk]
    if backend_name() == "postgresql":
        returned = insert_rows(Project, rows, (Project.id, Project.task_force, Project.dedupe_key))
        return {(team, key): project_id for project_id, team, key in returned}
    insert_rows(Project, rows)
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


def _new_ids(plans, after):
    """{(task force id, dedupe key): id} of the projects just inserted (ids above
    ``after``, the largest before the insert; the unique index makes each pair one row)."""
    pairs, found = {_pair(p) for p in plans}, {}
    teams = sorted({t for t, _ in pairs})
    query = (Project.select(Project.id, Project.task_force, Project.dedupe_key)
             .where((Project.id > after) & Project.task_force.in_(teams)))
    for project_id, team, key in query.tuples():
        if (team, key) in pairs:
            found[(team, key)] = project_id
    return found


def _insert_projects(plans):
    ids, after = {}, Project.select(fn.MAX(Project.id)).scalar() or 0
    for chunk in _chunks(plans):
        try:
            with tx.write():   # a savepoint: a refused chunk leaves the transaction usable
                ids.update(_insert(chunk))
        except IntegrityError as exc:
            _culprit(chunk, exc)
    if backend_name() != "postgresql":
        ids = _new_ids(plans, after)
    for planned in plans:
        planned.project.id = ids[_pair(planned)]


def _insert_events(user_id, plans):
    now = utcnow()
    insert_rows(StageEvent, [dict(e, project=p.project.id, user=user_id, created_at=now)
                             for p in plans for e in p.events])


def _insert_audit(user_id, plans, batch_id):
    now, origin = utcnow(), audit.current_origin()   # the origin audit.record would use
    insert_rows(AuditLog, [
        {"user": user_id, "at": now, "entity": "project", "entity_id": p.project.id,
         "action": "import", "before": "",
         "after": audit.dump(dict(audit.snapshot(p.project), batch=batch_id)), "origin": origin}
        for p in plans])


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
    monthly.settle_created([p.project for p in plans])
    years.add_created([(p.project, [e["occurred_on"] for e in p.events]) for p in plans])
