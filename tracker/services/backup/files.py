"""Backup files (README, Backup and restore): the portable dump and SQLite backup files.

Portable dump: gzip'd JSON lines, the same on every backend.
    line 1      header {"format": "tracker-backup", "format_version": 1, "app_version",
                "backend", "created_at" (UTC), "migrations": [applied names, sorted],
                "tables": [[table, rows], ...] (parents first), "columns": {table: [...]}}
    then        one line per row: [table, [value, ...]] in the header's table order,
                each table's rows in primary-key order
    last line   {"end": true, "rows": total, "sha256": hex SHA-256 of every line above it
                (their UTF-8 bytes, newlines included)}; format_version 2 (issue 23)
Values are JSON: Decimal, date, datetime and time as strings (str / ISO 8601), bytes as
base64; they are turned back into Python values by the current models' field types, so
they round-trip exactly. A missing end line, a row count that differs from the header, a
broken gzip stream or a bad line makes the file refused as corrupt.

A SQLite backup file (written by the online backup API) is read with sqlite3, read-only,
after an integrity check; its values pass through the fields' ``python_value``. Its table
``backup_manifest`` holds the SHA-256 of its tables' rows (:func:`sqlite_checksum`).

Both kinds are written with mode 0600 (a backup holds every user's data and password
hashes). Restore verifies the checksum before it writes anything (:func:`checksum_state`):
a file changed after the backup is refused unless the caller allows it.
"""
import base64
import datetime
import decimal
import gzip
import hashlib
import json
import os
import sqlite3
import urllib.parse
import zlib

from peewee import BlobField, DateField, DateTimeField, DecimalField, ForeignKeyField, TimeField

FORMAT = "tracker-backup"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)   # version 1 has no checksum: it restores only when allowed
MANIFEST = "backup_manifest"
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
CORRUPT = "备份文件已损坏或不完整（{}），已拒绝恢复。"
NOT_A_BACKUP = "不是 tracker 备份文件（应为 SQLite 数据库文件或 .jsonl.gz 便携备份）。"
_END = object()


# Tables whose rows hold secrets in clear text: a backup with rows in them says so (the
# portable header's "contains_secrets", the SQLite manifest's row of that name, the CLI).
SECRET_TABLES = {"group_robot": "群机器人的 Webhook 地址和加签密钥（明文）"}


def secrets_in(counts):
    """What ``counts`` ([(table, rows)]) holds in clear text: [zh-CN description]."""
    return [SECRET_TABLES[t] for t, n in counts if n and t in SECRET_TABLES]


class BadBackup(Exception):
    """The file is no backup, or a damaged one (a zh-CN message)."""


def to_json(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):     # datetime is a date
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def from_json(field, value):
    """The Python value of ``field`` for a value written by ``to_json``."""
    if value is None:
        return None
    while isinstance(field, ForeignKeyField):
        field = field.rel_field
    if isinstance(field, DecimalField):
        return decimal.Decimal(value)
    if isinstance(field, DateTimeField):
        return datetime.datetime.fromisoformat(value)
    if isinstance(field, DateField):
        return datetime.date.fromisoformat(value)
    if isinstance(field, TimeField):
        return datetime.time.fromisoformat(value)
    if isinstance(field, BlobField):
        return base64.b64decode(value)
    return value


def kind_of(path):
    """"sqlite" or "portable" from the file's first bytes; BadBackup otherwise."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BadBackup(f"无法读取备份文件：{exc}") from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(GZIP_MAGIC):
        return "portable"
    raise BadBackup(NOT_A_BACKUP)


def private_file(path):
    """Create (or empty) ``path`` readable by its owner only (0600, whatever the umask);
    returns a binary file object."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)   # an existing file keeps its mode through O_CREAT
    return os.fdopen(fd, "wb")


def write_portable(path, header, tables):
    """Write a portable dump: ``tables`` yields (table name, iterable of value rows) in
    the header's order. Written to PATH.part (0600) first, then renamed: PATH is never half
    written. Returns the number of rows written."""
    part = path + ".part"
    total, digest = 0, hashlib.sha256()

    def put(fh, line):
        fh.write(line)
        digest.update(line.encode("utf-8"))
    try:
        with private_file(part) as raw, gzip.open(raw, "wt", encoding="utf-8", newline="\n",
                                                  compresslevel=6) as fh:
            put(fh, json.dumps(header, ensure_ascii=False) + "\n")
            for name, rows in tables:
                for row in rows:
                    put(fh, json.dumps([name, [to_json(v) for v in row]]) + "\n")
                    total += 1
            fh.write(json.dumps({"end": True, "rows": total, "sha256": digest.hexdigest()}) + "\n")
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)
    return total


class PortableReader:
    """Reads a portable dump in one pass: ``header``, then ``rows(table)`` for each table
    in the header's order, then ``finish()``. Damage raises BadBackup."""

    def __init__(self, path):
        self._fh = gzip.open(path, "rt", encoding="utf-8")
        self._next = None
        self.total = 0
        line = self._line()
        try:
            header = json.loads(line) if line else None
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            self.close()
            raise BadBackup(NOT_A_BACKUP)
        if header.get("format_version") not in READABLE_VERSIONS:
            self.close()
            raise BadBackup(f"不支持的备份格式版本 {header.get('format_version')!r}。")
        self.header = header

    def _line(self):
        try:
            return self._fh.readline()
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise BadBackup(CORRUPT.format(type(exc).__name__)) from None

    def _item(self):
        if self._next is not None:
            item, self._next = self._next, None
            return item
        line = self._line()
        if not line.endswith("\n"):
            raise BadBackup(CORRUPT.format("文件在行中间结束"))
        try:
            item = json.loads(line)
        except ValueError:
            raise BadBackup(CORRUPT.format("无法解析的行")) from None
        if isinstance(item, dict) and item.get("end") is True:
            return _END
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)):
            raise BadBackup(CORRUPT.format("无法解析的行"))
        return item

    def rows(self, table):
        """The value lists of ``table`` (as JSON values)."""
        while True:
            item = self._item()
            if item is _END or item[0] != table:
                self._next = item
                return
            self.total += 1
            yield item[1]

    def finish(self):
        """The end line must come next, with the right total, and then the file's end."""
        if self._item() is not _END:
            raise BadBackup(CORRUPT.format("表的顺序与文件头不符"))
        if self._line() != "":
            raise BadBackup(CORRUPT.format("结束行之后还有内容"))

    def close(self):
        self._fh.close()


def portable_checksum(path):
    """(the SHA-256 the end line states or None, the SHA-256 of the lines above it)."""
    digest, stated = hashlib.sha256(), None
    try:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                if line.startswith(b'{"end"'):
                    try:
                        stated = json.loads(line).get("sha256")
                    except ValueError:
                        raise BadBackup(CORRUPT.format("无法解析的结束行")) from None
                    fh.read()   # to the end: gzip checks its CRC there (damage, not a change)
                    break
                digest.update(line)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadBackup(CORRUPT.format(type(exc).__name__)) from None
    return stated, digest.hexdigest()


def sqlite_checksum(conn, tables):
    """SHA-256 of the rows of ``tables`` ([(table, [order columns])]) of a SQLite file,
    read raw in that order, and of its applied migrations."""
    digest = hashlib.sha256()
    digest.update(json.dumps(sqlite_migrations(conn)).encode("utf-8") + b"\n")
    try:
        for table, order in tables:
            by = ", ".join(f'"{c}"' for c in order)
            for raw in conn.execute(f'SELECT * FROM "{table}" ORDER BY {by}'):
                line = json.dumps([table, [to_json(v) for v in raw]], ensure_ascii=False)
                digest.update(line.encode("utf-8") + b"\n")
    except sqlite3.DatabaseError as exc:
        raise BadBackup(CORRUPT.format(str(exc))) from None
    return digest.hexdigest()


def write_manifest(conn, checksum, secrets=()):
    conn.execute(f'CREATE TABLE "{MANIFEST}" (name TEXT PRIMARY KEY, value TEXT NOT NULL)')
    conn.execute(f'INSERT INTO "{MANIFEST}" VALUES (?, ?)', ("sha256", checksum))
    if secrets:
        conn.execute(f'INSERT INTO "{MANIFEST}" VALUES (?, ?)', ("contains_secrets", "；".join(secrets)))
    conn.commit()


def read_manifest(conn):
    """The SHA-256 a SQLite backup file states, or None (none there)."""
    try:
        row = conn.execute(f'SELECT value FROM "{MANIFEST}" WHERE name = ?', ("sha256",)).fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def sqlite_readonly(path):
    """A read-only sqlite3 connection to a backup file that passed the integrity check."""
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        ok = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BadBackup(CORRUPT.format(str(exc))) from None
    if not ok or ok[0] != "ok":
        conn.close()
        raise BadBackup(CORRUPT.format("integrity_check: " + str(ok and ok[0])))
    return conn


def sqlite_migrations(conn):
    try:
        return sorted(n for (n,) in conn.execute("SELECT name FROM schema_migration"))
    except sqlite3.DatabaseError:
        raise BadBackup("备份文件中没有迁移记录（schema_migration），不是 tracker 数据库。") from None


def sqlite_columns(conn, table):
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def sqlite_rows(conn, table, fields, order):
    """Rows of ``table`` in a SQLite backup file as Python values of ``fields``."""
    cols = ", ".join(f'"{f.column_name}"' for f in fields)
    order_by = ", ".join(f'"{c}"' for c in order)
    try:
        for raw in conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY {order_by}'):
            yield [f.python_value(v) for f, v in zip(fields, raw)]
    except sqlite3.DatabaseError as exc:
        raise BadBackup(CORRUPT.format(str(exc))) from None
