"""通报 data (services/bulletin/report.py) and its .docx (services/bulletin/word.py) on the
hand-worked ledger of tests/web/progress_ledger.py (judged at 2026-06-30)."""
import datetime
import io
from decimal import Decimal

import pytest
from docx import Document
from docx.oxml.ns import qn

from tracker.domain import metrics as M
from tracker.services.bulletin import report as B
from tracker.services.bulletin import word
from tracker.services.progress import snapshots
from tracker.services.ledger import projects as ledger
from tracker.services.staleness import flags as stale_service

from ..web import progress_ledger as L

D = datetime.date
TODAY = D(2026, 11, 28)


@pytest.fixture
def built(db):
    return L.build()


def _dec(value):
    return None if value is None else f"{value:.2f}"


def _amount(key, value):
    if value is None:
        return None
    return int(value) if key == M.NEGOTIATIONS else f"{value:.2f}"


def _check_hand_numbers(b):
    for (code, key), exp in L.EXPECTED.items():
        row = next(r for r in b.rows if r.code == code)
        f = row.figures[key]
        assert (_amount(key, f.target), _amount(key, f.actual), _dec(f.completion),
                _dec(f.gap_points), f.status) == (exp["target"], exp["actual"],
                                                  exp["completion"], exp["gap"],
                                                  exp["status"]), (code, key)
        assert f.met is exp["shuangguoban"], (code, key)
    assert {r.code: (r.rank, _dec(r.score)) for r in b.rows} == {
        code: (L.RANKS[code], L.SCORES[code]) for code in L.RANKS}
    for key, (target, actual, completion) in L.TOTALS.items():
        t = b.totals[key]
        assert (_amount(key, t.target), _amount(key, t.actual), _dec(t.completion)) == \
            (target, actual, completion), key
    assert b.time_progress == Decimal("50.00")


def test_a_frozen_quarter_gives_its_snapshot_numbers(built):
    snapshots.freeze_quarter(2026, 2)
    b = B.build_bulletin(2026, "h1", today=TODAY)
    assert b.frozen and b.as_of == D(2026, 6, 30) and b.frozen_at is not None
    assert b.source_note == "数据截至 2026-06-30（季度冻结数据）"
    assert b.title == "2026年上半年双过半通报" and b.filename == "2026年上半年双过半通报.docx"
    _check_hand_numbers(b)
    # 双过半 per metric: packaged CHEM+EQUIP, negotiations none, signed EQUIP only
    assert b.reached_counts() == {M.PACKAGED_VALUE: (2, 2), M.NEGOTIATIONS: (0, 2),
                                  M.SIGNED_VALUE: (1, 2), M.FUNDS_RECEIVED: (0, 0)}
    assert b.reached_teams() == (0, 2)
    assert b.totals[M.PACKAGED_VALUE].met is True and b.totals[M.NEGOTIATIONS].met is False


def test_frozen_numbers_stay_after_a_later_correction(built):
    snapshots.freeze_quarter(2026, 2)
    ledger.create_project(built["boss"], task_force=built["chem"], name="补录项目",
                          planned_investment="400000", on=D(2026, 5, 1), stage="negotiating")
    frozen = B.build_bulletin(2026, "h1", today=TODAY)
    assert frozen.totals[M.NEGOTIATIONS].actual == 4
    live = B.build_bulletin(2026, "q3", today=TODAY)   # Q3 not frozen: the ledger as it is
    assert not live.frozen and live.totals[M.NEGOTIATIONS].actual == 5


def test_an_unfrozen_checkpoint_is_live(built):
    b = B.build_bulletin(2026, "h1", today=TODAY)   # quarter over, never frozen
    assert not b.frozen and b.as_of == D(2026, 6, 30)
    assert "实时数据" in b.source_note and "该季度尚未冻结" in b.source_note
    _check_hand_numbers(b)
    year = B.build_bulletin(2026, "year", today=TODAY)
    assert year.as_of == TODAY and "季度尚未结束" in year.source_note
    early = B.build_bulletin(2026, "q3", today=D(2026, 8, 15))
    assert early.as_of == D(2026, 8, 15) and not early.frozen


def test_warnings_list_red_teams_and_proposed_drops(built):
    stale_service.scan(D(2026, 7, 10))    # G silent since 10 January: 181 days
    b = B.build_bulletin(2026, "h1", today=TODAY)
    assert [r.code for r in b.warned("red")] == ["EQUIP", "CHEM"]
    assert b.propose_drop == 1 and b.propose_drop_days == 180
    assert {r.code: r.propose_drop for r in b.rows} == {"EQUIP": 1, "CHEM": 0}
    (red, reds), (orange, oranges), (drop, drops) = B.warning_blocks(b)
    assert red.startswith("（一）严重滞后") and "专班 2 个" in red
    assert "洽谈项目完成 10.00%，欠进度 40.00 个百分点" in reds[0]
    assert oranges == ["无。"] and "建议退库项目 1 个" in drop
    assert "装备制造专班 1 个" in drops[0]
    lines = B.overview_lines(b)
    assert "时序进度 50.00%" in lines[0]
    assert "策划包装项目：累计完成 105.00亿元，占年度目标 200.00亿元 的 52.50%，超进度 2.50" in \
        lines[1]
    assert "严重滞后 2 个" in lines[-1]


def test_checkpoints_and_defaults():
    assert B.default_checkpoint(2026, TODAY) == "q3"
    assert B.default_checkpoint(2026, D(2026, 2, 1)) == "q1"
    assert B.default_checkpoint(2026, D(2026, 7, 1)) == "h1"
    assert B.default_checkpoint(2025, TODAY) == "year"
    assert B.default_checkpoint(2027, TODAY) == "q1"
    with pytest.raises(ValueError):
        B.build_bulletin(2026, "q5")
    assert (B.fmt_amount(M.SIGNED_VALUE, Decimal("230000")), B.fmt_amount(M.NEGOTIATIONS, 4),
            B.fmt_pct(None), B.fmt_points(Decimal("-40")), B.fmt_points(Decimal(0))) == \
        ("23.00", "4", "—", "-40.00", "+0.00")


def test_docx_has_the_sections_the_numbers_and_cjk_fonts(built):
    snapshots.freeze_quarter(2026, 2)
    b = B.build_bulletin(2026, "h1", today=TODAY)
    doc = Document(io.BytesIO(word.bulletin_docx(b)))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "2026年上半年双过半通报"
    assert [h for h in headings if h in B.SECTIONS] == list(B.SECTIONS)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "数据截至 2026-06-30（季度冻结数据）" in text and B.NEXT_STEPS_PLACEHOLDER in text
    totals, ranking = doc.tables
    assert [c.text for c in ranking.rows[0].cells] == word.ranking_header()
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in ranking.rows[1:]}
    assert rows["装备制造专班"][:5] == ["1", "装备制造专班", "45.00", "50.00", "+0.00"]
    assert rows["精细化工专班"][5:7] == ["10.00", "-40.00"]
    assert [c.text for c in totals.rows[3].cells][:5] == ["签约额", "亿元", "40.00", "23.00",
                                                         "57.50"]
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        fonts = doc.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")), name
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_content_disposition_is_rfc6266():
    value = word.content_disposition("2026年上半年双过半通报.docx")
    assert value.startswith('attachment; filename="bulletin.docx"; ')
    assert "filename*=UTF-8''2026%E5%B9%B4" in value and value.isascii()
