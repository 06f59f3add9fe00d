"""``flask backup`` / ``flask restore`` (README, Backup and restore).

Backup: on SQLite the online backup API copies the database into PATH (safe while the app
writes); ``portable=True`` (always on PostgreSQL and MariaDB) writes the portable dump of
``backup_io`` instead, read in one REPEATABLE READ transaction (one snapshot). Every model
of ``all_models()`` at run time is included.

Restore reads either kind of file into an empty, migrated database of any backend: the
migrations applied must be the same as the backup's, every table must be empty. Rows go in
parents first with their ids, in one transaction; PostgreSQL sequences are set past the
largest id (MySQL's AUTO_INCREMENT and SQLite's rowid follow by themselves) and each
table's row count is checked against the backup before the commit. Any refusal or damage
writes nothing. Backups are written 0600 and carry a SHA-256 that restore verifies before
it writes (files; issue 23).
"""
import dataclasses
import datetime
import importlib.metadata
import os
import sqlite3
import tempfile
from dataclasses import dataclass

from peewee import AutoField, CompositeKey

from ... import migrate
from ...db import backend_name, database
from ...domain.errors import ValidationError
from ...models import all_models
from .. import tx
from . import files
from .restore import restore_from

PAGE = 2000     # rows read per query while dumping


@dataclass(frozen=True)
class BackupResult:
    path: str
    kind: str            # "sqlite" | "portable"
    tables: list         # [(table, rows)]
    migrations: list

    @property
    def rows(self):
        return sum(n for _, n in self.tables)

    @property
    def secrets(self):
        """What the file holds in clear text (files.SECRET_TABLES): keep it safe."""
        return files.secrets_in(self.tables)


def app_version():
    try:
        return importlib.metadata.version("tracker")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def applied_migrations():
    return sorted(name for name, applied in migrate.status() if applied)


def _target(path):
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ValidationError({"path": f"目录不存在：{folder}"})
    if os.path.isdir(path):
        raise ValidationError({"path": f"{path} 是一个目录，请给出文件名。"})
    return path


def backup(path, portable=False):
    """Back the database up into ``path`` (replaced atomically when it exists)."""
    path = _target(path)
    if backend_name() != "sqlite":
        return _dump_server(path)
    if not portable:
        return _sqlite_copy(path)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as tmp:
        copy = _sqlite_copy(os.path.join(tmp, "copy.db"))
        return _dump_sqlite_file(copy.path, path)


def _sqlite_copy(path):
    """SQLite online backup into ``path`` (one step: a consistent snapshot; writers in WAL
    mode go on meanwhile). The copy is a self-contained rollback-journal database."""
    part = path + ".part"
    if os.path.exists(part):
        os.remove(part)
    files.private_file(part).close()   # 0600 before SQLite writes (its journal inherits it)
    tables = [m._meta.table_name for m in all_models()]
    source = database.connection()
    target = sqlite3.connect(part)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
        migrations = files.sqlite_migrations(target)
        counts = [(t, target.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
                  for t in tables]
        files.write_manifest(target, files.sqlite_checksum(target, _checksum_tables(target)),
                             files.secrets_in(counts))
    finally:
        target.close()
    os.replace(part, path)
    return BackupResult(path, "sqlite", counts, migrations)


def _checksum_tables(conn):
    """[(table, order columns)] of the models' tables in a SQLite file (what its checksum
    covers)."""
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [(m._meta.table_name, [f.column_name for f in _order(m)])
            for m in all_models() if m._meta.table_name in names]


def header(backend, migrations, counts):
    return {"format": files.FORMAT, "format_version": files.FORMAT_VERSION,
            "app_version": app_version(), "backend": backend,
            "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "migrations": migrations, "tables": [list(c) for c in counts],
            "contains_secrets": files.secrets_in(counts),
            "columns": {m._meta.table_name: [f.column_name for f in m._meta.sorted_fields]
                        for m in all_models()}}


def _order(model):
    pk = model._meta.primary_key
    if isinstance(pk, CompositeKey):
        return [model._meta.fields[n] for n in pk.field_names]
    return [pk] if pk else list(model._meta.sorted_fields)


def _server_rows(model):
    """Every row of ``model`` in primary-key order, read in pages (keyset) for an
    integer key, so a large table is never held in memory."""
    fields = model._meta.sorted_fields
    pk = model._meta.primary_key
    query = model.select(*fields).order_by(*_order(model))
    if not isinstance(pk, AutoField):
        yield from query.tuples().iterator()
        return
    index, last = next(i for i, f in enumerate(fields) if f is pk), None
    while True:
        page = query.where(pk > last) if last is not None else query
        rows = list(page.limit(PAGE).tuples())
        yield from rows
        if len(rows) < PAGE:
            return
        last = rows[-1][index]


def _dump_server(path):
    """Portable dump of PostgreSQL / MariaDB in one REPEATABLE READ transaction."""
    models = all_models()
    with tx.snapshot():
        migrations = applied_migrations()
        counts = [(m._meta.table_name, m.select().count()) for m in models]
        head = header(backend_name(), migrations, counts)
        files.write_portable(path, head, ((m._meta.table_name, _server_rows(m))
                                              for m in models))
    return BackupResult(path, "portable", counts, migrations)


def _dump_sqlite_file(source_path, path):
    """Portable dump of a SQLite backup file (a snapshot already)."""
    conn = files.sqlite_readonly(source_path)
    try:
        migrations = files.sqlite_migrations(conn)
        models = all_models()
        counts = [(m._meta.table_name,
                   conn.execute(f'SELECT COUNT(*) FROM "{m._meta.table_name}"').fetchone()[0])
                  for m in models]
        head = header("sqlite", migrations, counts)
        tables = ((m._meta.table_name,
                   files.sqlite_rows(conn, m._meta.table_name, m._meta.sorted_fields,
                                         [f.column_name for f in _order(m)]))
                  for m in models)
        files.write_portable(path, head, tables)
    finally:
        conn.close()
    return BackupResult(path, "portable", counts, migrations)


MODIFIED = ("备份文件在备份之后被改动过（校验和不符），已拒绝恢复，未写入任何数据。"
            "如确认要恢复这个改动过的文件，请加 --allow-modified。")
UNVERIFIED = ("备份文件没有校验和（旧版本程序写的备份），无法确认它未被改动，已拒绝恢复。"
              "如确认文件可信，请加 --allow-modified。")


def checksum_state(path):
    """"verified" (the file's SHA-256 is the one it states), "modified" or "missing" (no
    checksum in it); BadBackup for a file that is no backup or a damaged one."""
    if files.kind_of(path) == "portable":
        stated, actual = files.portable_checksum(path)
    else:
        conn = files.sqlite_readonly(path)
        try:
            stated = files.read_manifest(conn)
            actual = files.sqlite_checksum(conn, _checksum_tables(conn)) if stated else None
        finally:
            conn.close()
    return "missing" if stated is None else "verified" if stated == actual else "modified"


def restore(path, allow_modified=False):
    """Restore a backup file into this (empty, migrated) database; a RestoreResult. The
    file's checksum is verified first: a changed file (or one without a checksum) is refused
    unless ``allow_modified``. ValidationError with a zh-CN message when refused; nothing is
    written then."""
    path = os.path.abspath(path)
    try:
        state = checksum_state(path)
        if state != "verified" and not allow_modified:
            raise ValidationError({"path": MODIFIED if state == "modified" else UNVERIFIED})
        result = restore_from(path, applied_migrations(), _order)
    except files.BadBackup as exc:
        raise ValidationError({"path": str(exc)}) from None
    return dataclasses.replace(result, checksum=state)
