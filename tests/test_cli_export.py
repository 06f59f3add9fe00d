"""flask export ledger|progress: the pages' workbooks written to a file; bad options exit
non-zero with a message and write nothing."""
import io

import pytest
from openpyxl import load_workbook

from tests.factories import make_task_force
from tests.web import progress_ledger as L
from tracker.domain import metrics as M


@pytest.fixture
def built(app):
    with app.app_context():
        return L.build()


def test_export_ledger(runner, built, tmp_path):
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(args=["export", "ledger", "--task-force", "CHEM", "--stage", "签约",
                                 "--year", "2026", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "已导出 1 个项目" in result.output and "招商项目台账_精细化工_" in result.output
    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    assert "专班：精细化工专班；阶段：签约；区县/开发区：全部；年度：2026年" in sheet["A1"].value
    assert [r[:2] for r in sheet.iter_rows(min_row=3, values_only=True)] == [(1, "A项目")]
    everything = tmp_path / "all.xlsx"
    assert runner.invoke(args=["export", "ledger", "-o", str(everything)]).exit_code == 0
    assert load_workbook(everything).active.max_row == 2 + 7      # title, header, A..G


def test_export_progress(runner, built, tmp_path):
    out = tmp_path / "progress.xlsx"
    result = runner.invoke(args=["export", "progress", "--year", "2026", "--as-of",
                                 "2026-06-30", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "截至 2026-06-30" in result.output
    book = load_workbook(out)
    assert book.sheetnames == ["进度汇总"] + [m.label for m in M.METRICS.values()]
    assert "统计截至 2026-06-30" in book["进度汇总"]["A1"].value
    default = tmp_path / "past.xlsx"
    result = runner.invoke(args=["export", "progress", "--year", "2025", "-o", str(default)])
    assert result.exit_code == 0 and "截至 2025-12-31" in result.output


@pytest.mark.parametrize("args, message", [
    (["ledger", "--task-force", "NOPE"], "没有编号为 NOPE 的专班"),
    (["ledger", "--stage", "zzz"], "阶段无效"),
    (["ledger", "--year", "20x6"], "年份无效"),
    (["progress", "--year", "abc"], "年份无效"),
    (["progress", "--year", "2026", "--as-of", "2026-02-30"], "日期无效"),
    (["progress", "--year", "2026", "--as-of", "2025-06-30"], "早于所选年份"),
    (["progress", "--as-of", "2026-06-30"], "--year"),
    (["ledger"], "-o"),
])
def test_bad_options_exit_non_zero(runner, db, tmp_path, args, message):
    make_task_force("CHEM", "精细化工专班")
    out = tmp_path / "x.xlsx"
    extra = [] if args == ["ledger"] else ["-o", str(out)]
    result = runner.invoke(args=["export"] + args + extra)
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()


def test_unwritable_output(runner, db, tmp_path):
    result = runner.invoke(args=["export", "ledger", "-o", str(tmp_path / "no" / "x.xlsx")])
    assert result.exit_code == 1 and "无法写入" in result.output
