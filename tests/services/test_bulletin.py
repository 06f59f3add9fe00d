"""通报 data (services/bulletin/report.py, wording.py), the bureau's 下步要求 (notes.py) and the
.docx in 公文 form (word.py, gbt9704.py) on the hand-worked ledger of
tests/web/progress_ledger.py (judged at 2026-06-30)."""
import datetime
import io
from decimal import Decimal

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from lxml import etree

from tests.backfill import ledger as backfill
from tracker.domain import metrics as M
from tracker.domain import progress as P
from tracker.domain.errors import ValidationError
from tracker.models import AuditLog, BulletinNote
from tracker.services.bulletin import layout, notes, word
from tracker.services.bulletin import report as B
from tracker.services.bulletin import wording as W
from tracker.services.progress import snapshots
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.staleness import flags as stale_service

from ..web import progress_ledger as L

projects = backfill_ledger(ledger_projects)

ledger = backfill(projects)

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
    (red, reds), (orange, oranges), (drop, drops) = W.warning_blocks(b)
    assert red.startswith("（一）严重滞后") and "专班 2 个" in red
    assert reds[0].startswith("装备制造专班（") and "精细化工专班（洽谈项目欠 40.00" in reds[0]
    assert reds[0].endswith("（括号内为欠进度的指标及欠进度的百分点数）。")
    assert oranges == ["无。"] and "建议退库项目 1 个" in drop
    assert "装备制造专班 1 个" in drops[0]
    lines = W.overview_lines(b)
    assert "时序进度 50.00%" in lines[0]
    assert "策划包装项目累计完成 105.00亿元，占年度目标 200.00亿元 的 52.50%，超进度 2.50" in \
        lines[0]
    assert "严重滞后 2 个" in lines[-1] and "全部指标实现双过半" in lines[-1]


def test_red_yellow_warning_is_red_and_orange_only(built):
    """红黄预警 = domain.progress.WARNING_STATUSES (严重滞后 + 欠进度), never 略欠进度."""
    assert P.WARNING_STATUSES == (P.RED, P.ORANGE)
    b = B.build_bulletin(2026, "h1", today=TODAY)
    headings = [h for h, _lines in W.warning_blocks(b)][:2]
    assert [h.split("）")[1].split("（")[0] for h in headings] == [
        P.STATUS_LABELS[s] for s in P.WARNING_STATUSES]
    assert all(f.status in P.WARNING_STATUSES for r in b.rows for f in r.behind)
    assert not any(P.STATUS_LABELS[P.YELLOW] in h for h, _lines in W.warning_blocks(b))


def test_checkpoints_and_defaults():
    assert B.default_checkpoint(2026, TODAY) == "q3"
    assert B.default_checkpoint(2026, D(2026, 2, 1)) == "q1"
    assert B.default_checkpoint(2026, D(2026, 7, 1)) == "h1"
    assert B.default_checkpoint(2025, TODAY) == "year"
    assert B.default_checkpoint(2027, TODAY) == "q1"
    with pytest.raises(ValueError):
        B.build_bulletin(2026, "q5")
    assert W.cn_date(D(2026, 12, 8)) == "2026年12月8日"     # GB/T 9704-2012: Arabic numerals
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
    assert "综合完成率" in text and "平均完成率" not in text
    totals, ranking = doc.tables
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in ranking.rows[2:]}
    # 排名, 专班, 综合完成率, 策划包装 完成率/超欠, 洽谈 完成率/超欠, 签约 完成率/超欠, 状态
    assert rows["装备制造专班"][:5] == ["1", "装备制造专班", "45.00", "50.00", "+0.00"]
    assert rows["精细化工专班"][5:7] == ["10.00", "-40.00"]
    assert rows["精细化工专班"][-1] == "严重滞后"
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


# --- the .docx in 公文 form (GB/T 9704-2012) ------------------------------------------------

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LETTERHEAD = layout.Letterhead(issuer="抚顺市商务局", masthead="抚顺市商务局文件",
                               number_pattern="抚商通〔{year}〕{number}号")


def _docx(b, letterhead=LETTERHEAD):
    return Document(io.BytesIO(word.bulletin_docx(b, letterhead)))


def _east_asia(style):
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


def test_docx_styles_follow_gbt_9704(built):
    doc = _docx(B.build_bulletin(2026, "h1", today=TODAY))
    normal = doc.styles["Normal"]
    fmt = normal.paragraph_format
    assert (_east_asia(normal), normal.font.size.pt) == ("仿宋_GB2312", 16)       # 三号
    assert fmt.first_line_indent.pt == 32                                          # 2 characters
    assert (str(fmt.line_spacing_rule), fmt.line_spacing.pt) == ("EXACTLY (4)", 28)
    assert fmt.space_after.pt == 0 and fmt.space_before.pt == 0
    title = doc.styles["Title"]
    assert (_east_asia(title), title.font.size.pt) == ("方正小标宋简体", 22)      # 二号
    assert title.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.element.pPr.find(qn("w:pBdr")) is None                          # no border
    for name, font in (("Heading 1", "黑体"), ("Heading 2", "楷体_GB2312")):
        style = doc.styles[name]
        assert (_east_asia(style), style.font.size.pt, style.font.bold) == (font, 16, False), name
        assert style.paragraph_format.line_spacing.pt == 28, name
    # the theme fonts are gone, so the named ones win
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        fonts = doc.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None
    # every East Asian font is named with a fallback in word/fontTable.xml
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    table = etree.fromstring(part.blob)
    alt = {f.get(f"{W_NS}name"): f.find(f"{W_NS}altName").get(f"{W_NS}val")
           for f in table.findall(f"{W_NS}font") if f.find(f"{W_NS}altName") is not None}
    assert {k: alt.get(k) for k in ("仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体")} == {
        "仿宋_GB2312": "仿宋", "黑体": "SimHei", "楷体_GB2312": "楷体", "方正小标宋简体": "方正小标宋_GBK"}
    # the body's paragraphs use the Normal style (no local override of size or spacing)
    first = next(p for p in doc.paragraphs if p.text.startswith("截至"))
    assert first.style.name == "Normal" and first.paragraph_format.line_spacing is None


def test_docx_page_margins_and_page_numbers(built):
    doc = _docx(B.build_bulletin(2026, "h1", today=TODAY))
    section = doc.sections[0]
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]
    assert doc.settings.odd_and_even_pages_header_footer is True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert paragraph.alignment == align
        assert "<w:instrText" in xml and " PAGE " in "".join(
            t.text for t in paragraph._p.iter(qn("w:instrText")))
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        run = paragraph.runs[-1]
        assert run.font.size.pt == 14 and run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def test_docx_ranking_table_repeats_its_heading_never_splits_and_has_no_empty_column(built):
    b = B.build_bulletin(2026, "h1", today=TODAY)
    doc = _docx(b)
    totals, ranking = doc.tables
    rows = ranking.rows
    for i, row in enumerate(rows):
        tr_pr = row._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None, i
        assert (tr_pr.find(qn("w:tblHeader")) is not None) is (i < 2), i
    assert rows[0].cells[3].text == "策划包装项目" and rows[1].cells[3].text == "完成率"
    assert "综合\n完成率" == rows[0].cells[2].text
    # no column is "—" for every task force; 到位资金 (no target anywhere) is left out
    body = [[c.text for c in r.cells] for r in rows[2:]]
    assert len(body[0]) == 10 and not any(all(r[i] == "—" for r in body) for i in range(10))
    assert "到位资金" not in [c.text for c in rows[0].cells]
    # fixed layout, the widths sum to the 156 mm text width, the names get the most room
    assert ranking._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    widths = [round(c.width.mm, 1) for c in ranking.columns]
    assert abs(sum(widths) - 156) < 1 and max(widths) == widths[1], widths
    # a number column fits its widest value on one line at the table's size
    assert min(widths[2:]) >= 10
    assert totals.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_docx_masthead_number_and_signoff(built):
    doc = _docx(B.build_bulletin(2026, "h1", today=TODAY))
    first, number, title = doc.paragraphs[:3]
    assert first.text == "抚顺市商务局文件" and str(first.runs[0].font.color.rgb) == "FF0000"
    assert first.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert number.text == "抚商通〔2026〕2号" and number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    border = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "FF0000"                 # the red rule
    assert title.style.name == "Title" and title.text == "2026年上半年双过半通报"
    unit, date = doc.paragraphs[-2:]
    assert (unit.text, date.text) == ("抚顺市商务局", "2026年11月28日")
    assert unit.alignment == date.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert round(date.paragraph_format.right_indent.pt) == 64      # 右空四字
    # without 版头 settings the document opens with its title
    plain = _docx(B.build_bulletin(2026, "h1", today=TODAY), layout.Letterhead())
    assert plain.paragraphs[0].style.name == "Title" and plain.paragraphs[-2].text == "市商务局"
    assert layout.Letterhead(number_pattern="〔{year}〕{oops}号").number(
        B.build_bulletin(2026, "q1", today=TODAY)) == "〔{year}〕{oops}号"


def test_letterhead_from_settings():
    assert layout.letterhead_from({}) == layout.Letterhead("市商务局", "", "")
    lh = layout.letterhead_from({"BULLETIN_ISSUER": " 抚顺市商务局 ", "BULLETIN_MASTHEAD": "抚顺市商务局文件",
                                 "BULLETIN_NUMBER_PATTERN": "抚商通〔{year}〕{number}号"})
    assert (lh.issuer, lh.masthead) == ("抚顺市商务局", "抚顺市商务局文件")


# --- 下步要求 saved by the bureau (services/bulletin/notes.py) --------------------------------

REQUIREMENTS = "一是加快洽谈项目转化（各专班 7 月底前）。\n二是对“建议退库”项目逐一核实；\n\n\n三是确保双过半。"


def _audits():
    return list(AuditLog.select().where(AuditLog.entity == "bulletin_note").order_by(AuditLog.id))


def test_a_saved_note_is_kept_as_typed_and_shown_everywhere(built):
    boss = built["boss"]
    assert notes.note_for(2026, "h1") is None
    saved = notes.save_note(boss, 2026, "h1", requirements=REQUIREMENTS + "\u200b",
                            remarks="现将有关情况通报如下：", version=0)
    # full-width punctuation and the user's characters kept; blank lines collapsed, zero-width dropped
    assert saved.requirements == ("一是加快洽谈项目转化（各专班 7 月底前）。\n"
                                  "二是对“建议退库”项目逐一核实；\n\n三是确保双过半。")
    assert (saved.version, saved.remarks, saved.updated_by) == (1, "现将有关情况通报如下：", "boss")
    (row,) = _audits()
    assert (row.action, row.user_id) == ("create", boss.id) and "一是加快" in row.after
    b = B.build_bulletin(2026, "h1", today=TODAY)
    assert b.has_next_steps and b.next_steps == saved.requirements
    assert layout.opening(b) == "现将有关情况通报如下："
    other = B.build_bulletin(2026, "q3", today=TODAY)      # per (year, checkpoint)
    assert other.next_steps == B.NEXT_STEPS_PLACEHOLDER and other.note is None
    doc = _docx(b)
    texts = [p.text for p in doc.paragraphs]
    assert "三是确保双过半。" in texts and "现将有关情况通报如下：" in texts
    assert B.NEXT_STEPS_PLACEHOLDER not in texts
    i = texts.index("四、下步要求")
    assert texts[i + 1:i + 4] == ["一是加快洽谈项目转化（各专班 7 月底前）。",
                                  "二是对“建议退库”项目逐一核实；", "三是确保双过半。"]


def test_an_edit_carries_the_version_and_a_stale_one_is_refused(built):
    boss = built["boss"]
    notes.save_note(boss, 2026, "h1", requirements="第一版", version=0)
    second = notes.save_note(None, 2026, "h1", requirements="第二版", version=1)
    assert second.version == 2 and second.updated_by == ""
    with pytest.raises(ValidationError) as stale:
        notes.save_note(boss, 2026, "h1", requirements="基于第一版的修改", version=1)
    assert stale.value.errors == {"version": notes.STALE_NOTE}
    with pytest.raises(ValidationError):                    # a second "first" save
        notes.save_note(boss, 2026, "h1", requirements="另一个第一版", version=0)
    assert notes.note_for(2026, "h1").requirements == "第二版"
    # unchanged: nothing written, no audit row, same version
    assert notes.save_note(boss, 2026, "h1", requirements=" 第二版 ", version=2).version == 2
    audits = _audits()
    assert [a.action for a in audits] == ["create", "update"]
    assert '"requirements": "第一版"' in audits[1].before and '"第二版"' in audits[1].after
    assert audits[1].user_id is None


def test_nothing_to_save_writes_nothing_and_bad_input_is_refused(built):
    boss = built["boss"]
    assert notes.save_note(boss, 2026, "q1", requirements="  ", remarks="", version=0) is None
    assert BulletinNote.select().count() == 0 and _audits() == []
    bad = [
        (dict(requirements="字" * (notes.REQUIREMENTS_MAX + 1)), "requirements", "不能超过 2000 个字"),
        (dict(remarks="语" * (notes.REMARKS_MAX + 1)), "remarks", "不能超过 500 个字"),
        (dict(requirements="含\x00空字符"), "requirements", "NUL"),
        (dict(requirements="x", checkpoint="q5"), "checkpoint", "通报节点无效"),
        (dict(requirements="x", year="20x6"), "year", "年份无效"),
        (dict(requirements="x", year="1999"), "year", "年份无效"),
        (dict(requirements="x", version="abc"), "version", "已被他人修改"),
    ]
    for kwargs, field, message in bad:
        args = dict(dict(year=2026, checkpoint="h1", version=0), **kwargs)
        with pytest.raises(ValidationError) as exc:
            notes.save_note(boss, **args)
        assert message in exc.value.errors[field], (kwargs, exc.value.errors)
    # exactly at the bounds: saved
    saved = notes.save_note(boss, 2026, "h1", requirements="字" * notes.REQUIREMENTS_MAX,
                            remarks="语" * notes.REMARKS_MAX, version=0)
    assert len(saved.requirements) == 2000 and len(saved.remarks) == 500
    assert BulletinNote.select().count() == 1 and len(_audits()) == 1


def test_a_wide_ranking_still_fits_the_page(built):
    """With a target on every metric (到位资金 too) the ranking has 12 columns; it still
    spans the 156 mm text width, in a smaller size, and the names keep their room."""
    b = B.build_bulletin(2026, "h1", today=TODAY)
    teams = tuple(B.TeamLine(**{**r.__dict__, "name": "高端装备制造暨智能网联新能源汽车招商专班",
                                "figures": {**r.figures, M.FUNDS_RECEIVED: B.Figure(
                                    M.FUNDS_RECEIVED, Decimal(100), Decimal(50), Decimal("50.00"),
                                    Decimal("0.00"), P.GREEN, True)}}) for r in b.rows)
    wide = B.Bulletin(**{**b.__dict__, "rows": teams})
    assert wide.ranked_metrics == tuple(M.KEYS)
    doc = _docx(wide)
    ranking = doc.tables[1]
    widths = [c.width.mm for c in ranking.columns]
    assert len(widths) == 12 and abs(sum(widths) - 156) < 1 and widths[1] >= 20, widths
    size = ranking.rows[2].cells[0].paragraphs[0].runs[-1].font.size.pt
    assert size < 10.5, size


def test_two_bureau_users_saving_at_once_one_wins_the_other_is_told(app, db):
    """Real threads released together (tests/races.py), on every backend: two first saves
    and then two edits of the same version. One of each pair is stored with one audit row;
    the other gets the stale-version message, never a server error."""
    from tests.factories import make_user
    from tests.races import run_together
    boss1, boss2 = make_user("boss1", role="bureau"), make_user("boss2", role="bureau")
    db.close()
    for version in (0, 1):
        outcomes = run_together(
            app, lambda: notes.save_note(boss1, 2026, "h1", requirements=f"甲{version}",
                                         version=version),
            lambda: notes.save_note(boss2, 2026, "h1", requirements=f"乙{version}",
                                    version=version))
        errors = [exc for _result, exc in outcomes if exc is not None]
        assert len(errors) == 1 and isinstance(errors[0], ValidationError), outcomes
        assert errors[0].errors == {"version": notes.STALE_NOTE}
        saved = [result for result, exc in outcomes if exc is None][0]
        assert saved.version == version + 1
    db.connect(reuse_if_open=True)
    assert BulletinNote.select().count() == 1 and len(_audits()) == 2
    assert notes.note_for(2026, "h1").version == 2
