"""The restore half of ``tracker.services.backup.archive``: a backup file's rows into an empty,
migrated database, in one transaction (README, Backup and restore)."""
from dataclasses import dataclass

from peewee import AutoField, ForeignKeyField

from ...db import backend_name, database
from .. import dataversion, tx
from ...domain.errors import ValidationError
from ...models import all_models
from . import files
from .files import CORRUPT, BadBackup

NOT_MIGRATED = "本数据库尚未迁移：请先执行 flask --app tracker db upgrade，再恢复。"
MIGRATIONS_DIFFER = ("备份的数据库迁移与本数据库不一致（备份：{} 个，最新 {}；本数据库：{} 个，最新 {}）。"
                     "请用与备份相同版本的程序新建数据库、执行 db upgrade 后再恢复。")
TABLES_DIFFER = "备份中的表与当前程序不一致（备份多出：{}；备份缺少：{}）。"
NOT_EMPTY = ("目标数据库不是空的（{}）：只能恢复到新建并已执行 db upgrade 的空数据库。"
             "未写入任何数据。")


@dataclass(frozen=True)
class RestoreResult:
    kind: str               # "sqlite" | "portable"
    tables: list            # [(table, rows)]
    migrations: list
    backend: str            # of the database the backup was taken from ("" = unknown)
    app_version: str
    created_at: str
    checksum: str = ""      # "verified" | "modified" | "missing" (the last two only if allowed)

    @property
    def rows(self):
        return sum(n for _, n in self.tables)


class _Portable:
    kind = "portable"

    def __init__(self, path):
        self.reader = files.PortableReader(path)
        self.header = self.reader.header

    def columns(self, table):
        return self.header.get("columns", {}).get(table) or []

    def rows(self, model, fields):
        for values in self.reader.rows(model._meta.table_name):
            if len(values) != len(fields):
                raise BadBackup(CORRUPT.format(f"{model._meta.table_name} 的列数不符"))
            yield [files.from_json(f, v) for f, v in zip(fields, values)]

    def finish(self):
        self.reader.finish()

    def close(self):
        self.reader.close()


class _SqliteFile:
    kind = "sqlite"

    def __init__(self, path, order):
        self.conn = files.sqlite_readonly(path)
        self.order = order
        names = {n for (n,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        models = [m for m in all_models() if m._meta.table_name in names]
        self.header = {"backend": "sqlite", "app_version": "", "created_at": "",
                       "migrations": files.sqlite_migrations(self.conn),
                       "tables": [[m._meta.table_name, self._count(m)] for m in models]}

    def _count(self, model):
        return self.conn.execute(f'SELECT COUNT(*) FROM "{model._meta.table_name}"').fetchone()[0]

    def columns(self, table):
        return files.sqlite_columns(self.conn, table)

    def rows(self, model, fields):
        order = [f.column_name for f in self.order(model)]
        return files.sqlite_rows(self.conn, model._meta.table_name, fields, order)

    def finish(self):
        pass

    def close(self):
        self.conn.close()


def _open(path, order):
    if files.kind_of(path) == "sqlite":
        return _SqliteFile(path, order)
    return _Portable(path)


def _last(names):
    return names[-1] if names else "无"


def _check_migrations(source, applied):
    if not applied:
        raise ValidationError({"database": NOT_MIGRATED})
    theirs = sorted(source.header.get("migrations") or [])
    if theirs != applied:
        raise ValidationError({"database": MIGRATIONS_DIFFER.format(
            len(theirs), _last(theirs), len(applied), _last(applied))})


def _plan(source):
    """[(model, fields in the file's column order, expected rows)] in the file's order."""
    by_table = {m._meta.table_name: m for m in all_models()}
    tables = [(t, n) for t, n in source.header.get("tables") or []]
    extra = sorted({t for t, _ in tables} - set(by_table))
    missing = sorted(set(by_table) - {t for t, _ in tables})
    if extra or missing:
        raise ValidationError({"database": TABLES_DIFFER.format(
            "、".join(extra) or "无", "、".join(missing) or "无")})
    plan = []
    for table, expected in tables:
        model = by_table[table]
        columns = source.columns(table)
        if sorted(columns) != sorted(model._meta.columns):
            raise ValidationError({"database": f"表 {table} 的列与当前程序不一致。"})
        plan.append((model, [model._meta.columns[c] for c in columns], expected))
    return plan


def _check_empty(models):
    """Run first in the transaction (SQLite: under BEGIN IMMEDIATE's write lock)."""
    filled = [f"{m._meta.table_name} {n} 行" for m in models if (n := m.select().count())]
    if filled:
        raise ValidationError({"database": NOT_EMPTY.format("，".join(filled[:5]))})


def _insert(model, fields, rows):
    """Insert ``rows`` (lists of Python values of ``fields``) with their ids; a reference
    to a row of the same table goes in afterwards (a child may come before its parent)."""
    own = [i for i, f in enumerate(fields)
           if isinstance(f, ForeignKeyField) and f.rel_model is model]
    pk = model._meta.primary_key
    key_at = next((i for i, f in enumerate(fields) if f is pk), None)
    size = max(1, min(500, 9000 // max(1, len(fields))))
    batch, later, count = [], [], 0
    for values in rows:
        if own:
            later.append((values[key_at], {fields[i]: values[i] for i in own}))
            values = [None if i in own else v for i, v in enumerate(values)]
        batch.append(values)
        count += 1
        if len(batch) >= size:
            model.insert_many(batch, fields=fields).execute()
            batch = []
    if batch:
        model.insert_many(batch, fields=fields).execute()
    for key, refs in later:
        if any(v is not None for v in refs.values()):
            model.update(refs).where(pk == key).execute()
    return count


def _reset_sequences(models):
    """PostgreSQL: each serial id's sequence continues after the largest id restored."""
    if backend_name() != "postgresql":
        return
    for model in models:
        pk = model._meta.primary_key
        if isinstance(pk, AutoField):
            table, column = model._meta.table_name, pk.column_name
            database.execute_sql(
                f'SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX("{column}"), 0) + 1, '
                f'false) FROM "{table}"', (f'"{table}"', column))


def _load(source, plan):
    for model, fields, expected in plan:
        got = _insert(model, fields, source.rows(model, fields))
        if got != expected:
            raise BadBackup(CORRUPT.format(
                f"{model._meta.table_name}：文件头 {expected} 行，读到 {got} 行"))
    source.finish()
    _reset_sequences([model for model, _, _ in plan])
    for model, _, expected in plan:
        if model.select().count() != expected:
            raise BadBackup(CORRUPT.format(f"{model._meta.table_name} 恢复后的行数不符"))


def restore_from(path, applied, order):
    """Restore the file at ``path`` (see ``tracker.services.backup.archive.restore``)."""
    source = _open(path, order)
    try:
        _check_migrations(source, applied)
        plan = _plan(source)
        with tx.write():
            _check_empty(all_models())
            _load(source, plan)
            dataversion.changed(reset=True)   # a new token: these rows may repeat a counter
    finally:
        source.close()
    head = source.header
    return RestoreResult(source.kind, [(m._meta.table_name, n) for m, _, n in plan],
                         sorted(head.get("migrations") or []), head.get("backend", ""),
                         head.get("app_version", ""), head.get("created_at", ""))
