"""The 通报 as a Word document (.docx, python-docx) the office edits before it goes out.

Same structure and numbers as the page (services.bulletin.report): a title, where the data come
from, 一、总体情况 (sentences and the city table), 二、专班排名 (the ranking table),
三、红黄预警, 四、下步要求 (the placeholder paragraph). A4 portrait; every style used sets
its East Asian font (``w:eastAsia``), so Word shows the CJK text in 仿宋/黑体 instead of
a fallback. The download name is sent per RFC 6266 (``filename*=UTF-8''…``).
"""
import io
from urllib.parse import quote

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ...domain import metrics as M
from . import report as B

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = ("Times New Roman", "仿宋")
HEADING_FONT = ("Arial", "黑体")
TITLE_FONT = ("Arial", "方正小标宋简体")
TABLE_SIZE = Pt(9)


def content_disposition(filename):
    """RFC 6266: an ASCII fallback name and the UTF-8 name."""
    return (f"attachment; filename=\"bulletin.docx\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}")


def set_fonts(element_with_rpr, latin, east_asia):
    """Latin and East Asian fonts of a style or run; theme fonts removed so they win."""
    rpr = element_with_rpr.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for name in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(name), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _styles(doc):
    fonts = {"Normal": (BODY_FONT, Pt(14)), "Title": (TITLE_FONT, Pt(20)),
             "Heading 1": (HEADING_FONT, Pt(15)), "Heading 2": (BODY_FONT, Pt(14))}
    for name, ((latin, east_asia), size) in fonts.items():
        style = doc.styles[name]
        style.font.size = size
        style.font.name = latin
        set_fonts(style.element, latin, east_asia)
        if name != "Normal":
            style.font.bold = name != "Heading 2"
            style.font.color.rgb = None


def _page(doc):
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(22)


def _cell(cell, text, bold=False):
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.font.size = TABLE_SIZE
    run.bold = bold
    set_fonts(run._element, *BODY_FONT)


def _table(doc, header, rows):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header):
        _cell(cell, text, bold=True)
    for values in rows:
        for cell, text in zip(table.add_row().cells, values):
            _cell(cell, text)
    return table


def totals_rows(b):
    """The city table of section 一: one row per metric."""
    return [[f.label, B.unit_shown(f.key), B.fmt_amount(f.key, f.target),
             B.fmt_amount(f.key, f.actual), B.fmt_pct(f.completion), B.fmt_points(f.gap_points),
             f.status_label, B.fmt_met(f.met)]
            for f in (b.totals[key] for key in M.KEYS)]


def totals_header(b):
    return ["指标", "单位", "年度目标", "累计完成", "完成率(%)", "超/欠进度", "状态",
            B.CHECKPOINTS[b.checkpoint][3]]


def ranking_header():
    header = ["排名", "专班", "平均完成率(%)"]
    for key in M.KEYS:
        header += [f"{M.label(key)}完成率(%)", f"{M.label(key)}超/欠进度"]
    return header + ["状态"]


def ranking_rows(b):
    out = []
    for r in b.rows:
        values = [str(r.rank), r.name, B.fmt_pct(r.score)]
        for key in M.KEYS:
            values += [B.fmt_pct(r.figures[key].completion), B.fmt_points(r.figures[key].gap_points)]
        out.append(values + [r.status_label])
    return out


def _sections(doc, b):
    doc.add_heading(B.SECTIONS[0], level=1)
    for line in B.overview_lines(b):
        doc.add_paragraph(line)
    _table(doc, totals_header(b), totals_rows(b))
    doc.add_heading(B.SECTIONS[1], level=1)
    doc.add_paragraph(f"按各设有目标指标的平均完成率排名；超/欠进度 = 完成率 − 时序进度"
                      f"（{B.fmt_pct(b.time_progress)}%），单位：个百分点。")
    _table(doc, ranking_header(), ranking_rows(b))
    doc.add_heading(B.SECTIONS[2], level=1)
    for heading, lines in B.warning_blocks(b):
        doc.add_heading(heading, level=2)
        for line in lines:
            doc.add_paragraph(line)
    doc.add_heading(B.SECTIONS[3], level=1)
    doc.add_paragraph(b.next_steps)


def bulletin_docx(b):
    """The .docx bytes of Bulletin ``b``."""
    doc = Document()
    _styles(doc)
    _page(doc)
    doc.core_properties.title = b.title
    doc.core_properties.author = "市商务局"
    title = doc.add_heading(b.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = doc.add_paragraph(f"市商务局　{B.cn_date(b.today)}\n{b.source_note}")
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _sections(doc, b)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
