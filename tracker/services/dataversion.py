"""The data version (issue 23, "Reports computed once per change"): one row in the database
that moves in the same transaction as every write that can change a figure of the progress
report, so a cached report keyed on it is never older than the last committed write, in any
process (services.memo).

Writers call :func:`changed` inside their transaction; the UPDATE of the row runs as the last
statement of the outermost ``tx.write()`` (``tx.last``): every writer updates the same row, so
its lock is taken after every other lock of the transaction (no deadlock with the task-force
and county locks of ``figures.monthly.settle``) and held only until the commit. Where it is
called (each one line): figures.monthly.apply (every ledger write: create, edit, stage,
funds, 增资, 作废, 更正/变更, imports and their undo, through ``settle``/``settle_created``),
``rebuild_now`` and the nightly ``recompute`` when they repair something; targets (annual,
shares, counties); taskforces.teams.save_task_force; quarter snapshots (when one is written)
and award freezes; backup restore (which also draws a new token: the restored rows may repeat
a counter of other data). A job that finds nothing to do leaves an empty database without
the row, so ``restore`` still finds it empty.

Readers call :func:`current` (one primary-key SELECT): ``(token, counter)``, or None while no
write has been counted (then nothing may be cached).
"""
import secrets

from ..db import backend_name, database
from ..models import DataVersion
from . import tx

ROW = 1
_READ = {}   # backend -> (sql, params) of current(): built once, run on every request


def new_token():
    return secrets.token_hex(8)


def current():
    """(token, counter) as committed (what this connection's snapshot sees), or None."""
    backend = backend_name()
    if backend not in _READ:
        _READ[backend] = (DataVersion.select(DataVersion.token, DataVersion.counter)
                          .where(DataVersion.id == ROW).sql())
    row = database.execute_sql(*_READ[backend]).fetchone()
    return None if row is None else (row[0], int(row[1]))


def changed(reset=False):
    """This transaction changes what the progress report shows: the version moves at its
    commit (at once outside a transaction). ``reset``: also draw a new token (a restore)."""
    if reset:
        tx.last("dataversion.reset", lambda: bump(new_token()))
    else:
        tx.last("dataversion", bump)


def bump(token=None):
    """Add one to the counter (creating the row when missing); ``token``: replace it."""
    values = {DataVersion.counter: DataVersion.counter + 1}
    if token is not None:
        values[DataVersion.token] = token
    if DataVersion.update(values).where(DataVersion.id == ROW).execute():
        return
    # no row yet: create it (a concurrent first writer may win the insert; then ours is
    # ignored and the UPDATE below counts this write on top of theirs)
    DataVersion.insert(id=ROW, counter=0, token=token or new_token()).on_conflict_ignore() \
        .execute()
    DataVersion.update(values).where(DataVersion.id == ROW).execute()
