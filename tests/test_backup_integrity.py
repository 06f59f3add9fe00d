"""Backups are private and tamper-evident (issue 23): files written 0600 whatever the umask,
a SHA-256 in every backup (the portable dump's end line, a SQLite file's backup_manifest)
that ``flask restore`` verifies before writing anything; a changed file is refused with a
clear error and a non-zero exit unless --allow-modified is given."""
import gzip
import hashlib
import json
import os
import sqlite3
import stat

import pytest

from tests.conftest import clean_tables
from tests.factories import make_task_force, make_user
from tracker.models import AuditLog, User, all_models


def fill():
    make_user("li", display_name="李明")
    make_user("root", role="admin")
    make_task_force("TF1")
    AuditLog.create(entity="test", action="zh", before="{}", after=json.dumps({"名称": "抚顺"}))


def counts():
    """Rows per table (but the data version, which any later write may move)."""
    return {m._meta.table_name: m.select().count() for m in all_models()
            if m._meta.table_name != "data_version"}


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("portable", [False, True])
def test_backups_are_written_0600(app, tmp_path, umask_022, portable):
    path = tmp_path / "backup"
    path.write_bytes(b"an old copy, world-readable")
    os.chmod(path, 0o644)
    with app.app_context():
        fill()
    result = run(app, "backup", str(path), *(["--portable"] if portable else []))
    assert result.exit_code == 0, result.output
    assert _mode(path) == 0o600
    assert not [p for p in os.listdir(tmp_path) if p not in ("backup", "instance")]


def _lines(path):
    with gzip.open(path, "rb") as fh:
        return fh.read().splitlines(keepends=True)


def _rewrite(path, lines):
    with gzip.open(path, "wb") as fh:
        fh.write(b"".join(lines))


def test_the_dump_ends_with_the_sha256_of_its_lines(app, tmp_path):
    path = str(tmp_path / "dump.jsonl.gz")
    with app.app_context():
        fill()
    assert run(app, "backup", path, "--portable").exit_code == 0
    lines = _lines(path)
    end = json.loads(lines[-1])
    assert end["sha256"] == hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    assert json.loads(lines[0])["format_version"] == 2


def _refused(app, path, message):
    with app.app_context():
        clean_tables()
    result = run(app, "restore", path)
    assert result.exit_code != 0
    assert message in result.output and "--allow-modified" in result.output
    with app.app_context():
        assert sum(counts().values()) == 0


def test_a_hand_edited_dump_is_refused_unless_allowed(app, tmp_path):
    path = str(tmp_path / "dump.jsonl.gz")
    with app.app_context():
        fill()
    assert run(app, "backup", path, "--portable").exit_code == 0
    lines = _lines(path)
    edited = [line.replace(b'"li@example.test"', b'"wu@example.test"') for line in lines]
    assert edited != lines
    _rewrite(path, edited)
    _refused(app, path, "校验和不符")
    result = run(app, "restore", path, "--allow-modified")
    assert result.exit_code == 0, result.output
    assert "checksum does not match" in result.output
    with app.app_context():
        assert User.get(User.username == "li").email == "wu@example.test"


def test_a_dump_without_a_checksum_is_refused_unless_allowed(app, tmp_path):
    path = str(tmp_path / "dump.jsonl.gz")
    with app.app_context():
        fill()
        expected = counts()
    assert run(app, "backup", path, "--portable").exit_code == 0
    lines = _lines(path)
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    header["format_version"] = 1   # as an older program wrote it
    del end["sha256"]
    _rewrite(path, [json.dumps(header).encode() + b"\n", *lines[1:-1],
                    json.dumps(end).encode() + b"\n"])
    _refused(app, path, "没有校验和")
    result = run(app, "restore", path, "--allow-modified")
    assert result.exit_code == 0 and "no checksum" in result.output
    with app.app_context():
        assert counts() == expected


def test_an_unchanged_backup_restores_with_its_checksum_verified(app, tmp_path):
    path = str(tmp_path / "dump.jsonl.gz")
    with app.app_context():
        fill()
        expected = counts()
    assert run(app, "backup", path, "--portable").exit_code == 0
    with app.app_context():
        clean_tables()
    result = run(app, "restore", path)
    assert result.exit_code == 0 and "checksum verified" in result.output
    with app.app_context():
        assert counts() == expected


def test_a_changed_sqlite_backup_file_is_refused_unless_allowed(sqlite_app, tmp_path):
    path = str(tmp_path / "tracker.backup")
    with sqlite_app.app_context():
        fill()
    assert run(sqlite_app, "backup", path).exit_code == 0
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM backup_manifest").fetchall() == [("sha256",)]
    with sqlite_app.app_context():
        clean_tables()
    result = run(sqlite_app, "restore", path)
    assert result.exit_code == 0 and "checksum verified" in result.output, result.output
    with conn:
        conn.execute("UPDATE app_user SET display_name = '王五' WHERE username = 'li'")
    conn.close()
    _refused(sqlite_app, path, "校验和不符")
    result = run(sqlite_app, "restore", path, "--allow-modified")
    assert result.exit_code == 0, result.output
    with sqlite_app.app_context():
        assert User.get(User.username == "li").display_name == "王五"
