"""The 通报 as a Word document (.docx, python-docx) in 公文 form (GB/T 9704-2012 as city offices
print it; the format itself lives in services.bulletin.gbt9704).

Same structure and numbers as the page (services.bulletin.report and .layout): the optional
版头 (issuing unit in red, 文号, red rule), the title in 小标宋 二号, where the data come from,
the 按语 (or the usual opening words), 一、总体情况 (sentences and the city table),
二、专班排名 (the ranking table: a heading row repeated on each page, rows never split,
columns sized to their content, a metric nobody is judged on left out), 三、红黄预警,
四、下步要求 (as the bureau saved it, else the placeholder), then the 落款 (unit and date).
Body 仿宋_GB2312 三号 with a 2-character first-line indent on a fixed 28 磅 line, 一级标题
黑体, 二级标题 楷体_GB2312, margins 37/35/28/26 mm, page numbers "— 1 —" outside. The
download name is sent per RFC 6266 (``filename*=UTF-8''…``).
"""
import io
from urllib.parse import quote

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Pt

from . import gbt9704 as F
from . import layout as L
from . import report as B
from . import wording as W

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLE_SIZES = (10.5, 9, 7.5)     # 五号, 小五, 六号: the first the table fits in


def content_disposition(filename):
    """RFC 6266: an ASCII fallback name and the UTF-8 name."""
    return (f"attachment; filename=\"bulletin.docx\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}")


def _plain(doc, text, fonts=F.BODY, size=F.BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
           colour=None):
    """A paragraph outside the body's indent (版头, 文号, source note, 落款)."""
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.alignment = align
    run = paragraph.add_run(text)
    run.font.size = size
    F.set_fonts(run._element, fonts)
    if colour is not None:
        run.font.color.rgb = colour
    return paragraph


def _masthead(doc, b, letterhead):
    """版头: the issuing unit in red 小标宋, the 文号 two lines under it, the red rule 4 mm
    under the 文号. Nothing when neither is set."""
    number = letterhead.number(b)
    if not (letterhead.masthead or number):
        return False
    if letterhead.masthead:
        head = _plain(doc, letterhead.masthead, F.TITLE, F.MASTHEAD_SIZE, colour=F.RED)
        fmt = head.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE     # 36 pt does not fit a 28 磅 line
        fmt.space_after = F.LINE * 2 if number else Pt(0)
    last = _plain(doc, number) if number else head
    F.rule_under(last)
    return True


def _title(doc, b, after_masthead):
    title = doc.add_paragraph(b.title, style="Title")
    title.paragraph_format.space_before = F.LINE * 2 if after_masthead else Pt(0)
    return title


def _body(doc, text):
    """Paragraphs of ``text`` (one per line), in the Normal style."""
    for line in (text or "").split("\n"):
        if line.strip():
            doc.add_paragraph(line)


def _table(doc, headers, rows, flex, groups=None):
    for size in TABLE_SIZES:
        widths = F.column_widths(headers, rows, size, flex)
        if widths is not None:
            break
    else:
        size, widths = TABLE_SIZES[-1], [F.TEXT_WIDTH_MM / len(headers)] * len(headers)
    return F.table(doc, headers, rows, widths, Pt(size), groups)


def ranking_table(doc, b):
    columns = L.ranking_columns(b)
    headers = [c.header_lines for c in columns]
    groups = L.header_groups(columns)
    return _table(doc, headers, L.ranking_rows(b, columns), flex=1, groups=groups)


def _sections(doc, b):
    doc.add_heading(B.SECTIONS[0], level=1)
    _body(doc, "\n".join(W.overview_lines(b)))
    _table(doc, [L.header_lines(h) for h in L.totals_header(b)], L.totals_rows(b), flex=0)
    doc.add_heading(B.SECTIONS[1], level=1)
    _body(doc, L.ranking_note(b))
    ranking_table(doc, b)
    doc.add_heading(B.SECTIONS[2], level=1)
    for heading, lines in W.warning_blocks(b):
        doc.add_heading(heading, level=2)
        _body(doc, "\n".join(lines))
    doc.add_heading(B.SECTIONS[3], level=1)
    _body(doc, b.next_steps)


def _signoff(doc, b, letterhead):
    """落款 (GB/T 9704-2012 7.3.5.1): two lines under the text, the date 右空四字, the unit
    centred over it."""
    unit, date = letterhead.signoff(b)
    unit_indent, date_indent = L.signoff_indents(unit, date)
    if unit:
        first = _plain(doc, unit, align=WD_ALIGN_PARAGRAPH.RIGHT)
        first.paragraph_format.space_before = F.LINE * 2
        first.paragraph_format.right_indent = Pt(16 * unit_indent)
    last = _plain(doc, date, align=WD_ALIGN_PARAGRAPH.RIGHT)
    last.paragraph_format.right_indent = Pt(16 * date_indent)
    if not unit:
        last.paragraph_format.space_before = F.LINE * 2


def bulletin_docx(b, letterhead=None):
    """The .docx bytes of Bulletin ``b`` (``letterhead``: layout.Letterhead, the settings'
    版头 and 落款; default: 市商务局, no 版头)."""
    letterhead = letterhead or L.Letterhead()
    doc = Document()
    F.styles(doc)
    section = doc.sections[0]
    F.page(section)
    F.page_numbers(doc, section)
    doc.core_properties.title = b.title
    doc.core_properties.author = letterhead.issuer or "市商务局"
    _title(doc, b, _masthead(doc, b, letterhead))
    note = _plain(doc, b.source_note, F.KAI)
    note.paragraph_format.space_after = F.LINE        # 标题下空一行
    _body(doc, L.opening(b))
    _sections(doc, b)
    _signoff(doc, b, letterhead)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
