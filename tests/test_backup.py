"""flask backup / restore (README, Backup and restore): a round trip is equal row for row on
every backend; a restore into a non-empty database, an unmigrated one, or from a damaged
file is refused with nothing written; a portable dump restores across backends."""
import datetime
import gzip
import json
import os
from decimal import Decimal

import pytest
from flask import current_app

from tests.conftest import clean_tables, make_app
from tests.services import summary_ledger as L
from tracker.db import database, make_database
from tracker.models import AuditLog, FundReceipt, Project, all_models
from tracker.services.mail import summaries
from tracker import settings as web_settings

LONG_TEXT = ("专班推进：签约、开工、投产全流程跟踪。“引号”、『括号』、emoji 🚀、换行\n第二行。" * 30)[:2000]


def fill():
    """The summary ledger, a built week of mail, and values that are easy to get wrong."""
    L.build()
    summaries.build_week(L.WEEK, web_settings.mail(current_app))
    project = Project.select().order_by(Project.id).first()
    Project.update(next_step=LONG_TEXT, contract_value=Decimal("99999999.99"),
                   expected_sign_date=datetime.date(2027, 12, 31)).where(
        Project.id == project.id).execute()
    FundReceipt.update(exchange_rate=Decimal("7.1234"), original_amount=Decimal("0.01")).where(
        FundReceipt.id == FundReceipt.select().first().id).execute()
    AuditLog.create(at=datetime.datetime(2026, 6, 30, 23, 59, 59), entity="test",
                    action="zh", before="{}", after=json.dumps({"名称": LONG_TEXT}))


def snapshot():
    """Every table's rows in primary-key order, as the app reads them (but the data version:
    a restore moves it and draws a new token, services.dataversion)."""
    out = {}
    for model in all_models():
        if model._meta.table_name == "data_version":
            continue
        pk = model._meta.primary_key
        out[model._meta.table_name] = list(model.select().order_by(pk).tuples())
    return out


def counts():
    return {m._meta.table_name: m.select().count() for m in all_models()}


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.mark.parametrize("portable", [False, True])
def test_round_trip_is_equal_row_for_row(app, tmp_path, portable):
    path = str(tmp_path / ("tracker.jsonl.gz" if portable else "tracker.backup"))
    with app.app_context():
        fill()
        before = snapshot()
    result = run(app, "backup", path, *(["--portable"] if portable else []))
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output
    with app.app_context():
        clean_tables()
        assert sum(counts().values()) == 0
    result = run(app, "restore", path)
    assert result.exit_code == 0, result.output
    assert "row counts verified" in result.output
    with app.app_context():
        after = snapshot()
        assert after == before
        project = Project.select().order_by(Project.id).first()
        assert project.next_step == LONG_TEXT and project.contract_value == Decimal("99999999.99")
        # ids go on after the largest one restored (PostgreSQL sequences are reset)
        row = AuditLog.create(entity="test", action="after_restore")
        assert row.id > max(r[0] for r in before["audit_log"])


def test_the_portable_dump_has_a_header_and_one_line_per_row(app, tmp_path):
    path = str(tmp_path / "dump.jsonl.gz")
    with app.app_context():
        fill()
        expected = counts()
    assert run(app, "backup", path, "--portable").exit_code == 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "tracker-backup" and header["backend"] in (
        "sqlite", "postgresql", "mysql")
    assert dict(header["tables"]) == expected and header["app_version"]
    assert header["migrations"] == sorted(header["migrations"]) and header["created_at"]
    end = json.loads(lines[-1])
    assert end == {"end": True, "rows": sum(expected.values()), "sha256": end["sha256"]}
    assert len(lines) == sum(expected.values()) + 2


def test_restore_into_a_database_that_is_not_empty_is_refused(app, tmp_path):
    path = str(tmp_path / "dump.jsonl.gz")
    with app.app_context():
        fill()
        before = snapshot()
    assert run(app, "backup", path, "--portable").exit_code == 0
    result = run(app, "restore", path)
    assert result.exit_code != 0 and "目标数据库不是空的" in result.output
    with app.app_context():
        assert snapshot() == before


def _damaged(source, target, how):
    data = open(source, "rb").read()
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "flipped":
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
    elif how == "garbage":
        data = b"not a backup at all\n"
    with open(target, "wb") as fh:
        fh.write(data)
    return target


@pytest.mark.parametrize("portable", [False, True])
@pytest.mark.parametrize("how", ["truncated", "flipped", "garbage"])
def test_a_damaged_file_is_refused_and_nothing_is_written(app, tmp_path, portable, how):
    if not portable and how == "flipped":
        pytest.skip("a flipped byte of a SQLite file may land in free space (no change); its "
                    "rows' checksum: tests/test_backup_integrity.py")
    path = str(tmp_path / "good")
    with app.app_context():
        fill()
    assert run(app, "backup", path, *(["--portable"] if portable else [])).exit_code == 0
    bad = _damaged(path, str(tmp_path / "bad"), how)
    with app.app_context():
        clean_tables()
    result = run(app, "restore", bad)
    assert result.exit_code != 0
    assert "损坏或不完整" in result.output or "不是 tracker 备份文件" in result.output
    with app.app_context():
        assert sum(counts().values()) == 0


def test_a_dump_with_other_migrations_is_refused(app, tmp_path):
    path = str(tmp_path / "dump.jsonl.gz")
    with app.app_context():
        fill()
    assert run(app, "backup", path, "--portable").exit_code == 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines(keepends=True)
    header = json.loads(lines[0])
    header["migrations"] = header["migrations"][:-1]
    edited = str(tmp_path / "edited.jsonl.gz")
    with gzip.open(edited, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n" + "".join(lines[1:]))
    with app.app_context():
        clean_tables()
    result = run(app, "restore", edited)   # a changed file: refused for its checksum first
    assert result.exit_code != 0 and "校验和不符" in result.output
    result = run(app, "restore", edited, "--allow-modified")
    assert result.exit_code != 0 and "迁移与本数据库不一致" in result.output
    with app.app_context():
        assert sum(counts().values()) == 0


def test_backup_into_a_missing_folder_is_refused(app, tmp_path):
    result = run(app, "backup", str(tmp_path / "nowhere" / "x.db"))
    assert result.exit_code != 0 and "目录不存在" in result.output


def test_a_portable_dump_restores_into_another_backend(app, tmp_path):
    """A dump of this backend into a fresh SQLite database, and back into this one from
    the SQLite database's own backup file."""
    dump, copy = str(tmp_path / "dump.jsonl.gz"), str(tmp_path / "copy.db")
    with app.app_context():
        fill()
        before = snapshot()
    assert run(app, "backup", dump, "--portable").exit_code == 0
    other = make_app("sqlite:///" + str(tmp_path / "other.db"), tmp_path / "other")
    try:
        result = run(other, "restore", dump)
        assert result.exit_code == 0, result.output
        with other.app_context():
            assert snapshot() == before
        assert run(other, "backup", copy).exit_code == 0
    finally:
        database.close() if not database.is_closed() else None
        database.initialize(make_database(app.config["DATABASE_URL"]))
    with app.app_context():
        clean_tables()
    result = run(app, "restore", copy)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert snapshot() == before


def test_sqlite_backup_is_a_sqlite_file_taken_while_a_transaction_writes(sqlite_app, tmp_path):
    """The online backup copies the last committed state; an open write elsewhere is not in it."""
    import sqlite3
    path = str(tmp_path / "online.db")
    with sqlite_app.app_context():
        fill()
        committed = counts()
        db_path = sqlite_app.config["DATABASE_URL"][len("sqlite:///"):]
        writer = sqlite3.connect(db_path)
        writer.execute("BEGIN IMMEDIATE")
        try:
            writer.execute("INSERT INTO audit_log (at, entity, action, before, after, origin) "
                           "VALUES ('2026-07-01 00:00:00', 'x', '写入中', '', '', '')")
            result = run(sqlite_app, "backup", path)
        finally:
            writer.rollback()
            writer.close()
    assert result.exit_code == 0, result.output
    assert open(path, "rb").read(16) == b"SQLite format 3\x00"
    assert not os.path.exists(path + ".part")
    copy = sqlite3.connect(path)
    assert copy.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == committed["audit_log"]
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
