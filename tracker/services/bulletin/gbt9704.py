"""The 公文 format of GB/T 9704-2012 as city offices print a 通报, in python-docx terms: page,
styles, East Asian fonts with their fallbacks, page numbers, tables that repeat their heading
row and never split a row. Used by services.bulletin.word only.

Sizes: 二号 22 pt, 三号 16 pt, 四号 14 pt, 五号 10.5 pt, 小五 9 pt. A "character" of an indent
is one em of the body font (16 pt).
"""
from lxml import etree

from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

# (Latin font, East Asian font, fallbacks of the East Asian one). Word takes one name per
# slot; the first fallback is written as the font's w:altName in word/fontTable.xml, which
# Word and WPS use when the office PC lacks the font itself.
BODY = ("Times New Roman", "仿宋_GB2312", ("仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC"))
HEI = ("Times New Roman", "黑体", ("SimHei", "STHeiti", "Noto Sans CJK SC"))
KAI = ("Times New Roman", "楷体_GB2312", ("楷体", "KaiTi", "STKaiti", "Noto Serif CJK SC"))
TITLE = ("Times New Roman", "方正小标宋简体", ("方正小标宋_GBK", "华文中宋", "STZhongsong", "宋体"))
PAGE_NUMBER = ("宋体", "宋体", ("SimSun", "Songti SC", "Noto Serif CJK SC"))
FONTS = (BODY, HEI, KAI, TITLE, PAGE_NUMBER)

BODY_SIZE = Pt(16)          # 三号
TITLE_SIZE = Pt(22)         # 二号
MASTHEAD_SIZE = Pt(36)      # 发文机关标志 (no size is fixed; "醒目、美观、庄重")
PAGE_NUMBER_SIZE = Pt(14)   # 四号
TABLE_STYLE, TABLE_STYLE_ID = "Bulletin Table", "BulletinTable"   # the cells' paragraph style
LINE = Pt(28)               # fixed line spacing: 22 lines of 版心
CHAR = Pt(16)               # one character of indent
RED = RGBColor(0xFF, 0x00, 0x00)
MARGINS_MM = dict(top=37, bottom=35, left=28, right=26)
TEXT_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]   # 156 mm
CELL_PAD_MM = 1.0           # left and right padding of a table cell


def set_fonts(element_with_rpr, fonts):
    """Latin and East Asian fonts of a style or run (``fonts``: one of FONTS); theme fonts
    removed so they win, and the text marked zh-CN."""
    latin, east_asia, _fallbacks = fonts
    rpr = element_with_rpr.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for name in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(name), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)


def register_fallbacks(doc):
    """Name every East Asian font in word/fontTable.xml with GB2312 charset and its first
    fallback as w:altName."""
    part = next(p for p in doc.part.package.iter_parts()
                if str(p.partname) == "/word/fontTable.xml")
    table = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in table.findall(qn("w:font"))}
    for _latin, name, fallbacks in FONTS:
        if name in known:
            continue
        known.add(name)
        table.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{fallbacks[0]}"/>'
            f'<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/>'
            f'</w:font>'))
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _fixed_lines(fmt, first_line_chars=0):
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = CHAR * first_line_chars if first_line_chars else Pt(0)


def _style(doc, name, fonts, size, indent_chars=0, bold=False):
    style = doc.styles[name]
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(style.element, fonts)
    ppr = style.element.get_or_add_pPr()
    for child in ppr.findall(qn("w:pBdr")) + ppr.findall(qn("w:contextualSpacing")):
        ppr.remove(child)            # Word's Title keeps a bottom border otherwise
    _fixed_lines(style.paragraph_format, indent_chars)
    return style


def styles(doc):
    """Normal: 仿宋_GB2312 三号, 2-character first-line indent, fixed 28 磅, justified;
    Title: 小标宋 二号 centred, no border; Heading 1 (一、): 黑体 三号; Heading 2 ((一)):
    楷体_GB2312 三号; both indented like the body, kept with the next paragraph."""
    normal = _style(doc, "Normal", BODY, BODY_SIZE, indent_chars=2)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    normal.paragraph_format.widow_control = True
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    title = _style(doc, "Title", TITLE, TITLE_SIZE)
    for child in title.element.rPr.findall(qn("w:spacing")):
        title.element.rPr.remove(child)      # Word's Title spaces its letters out
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.font.all_caps = False
    for name, fonts in (("Heading 1", HEI), ("Heading 2", KAI)):
        heading = _style(doc, name, fonts, BODY_SIZE, indent_chars=2)
        heading.paragraph_format.keep_with_next = True
        heading.font.italic = False
    table = doc.styles.add_style(TABLE_STYLE, 1)   # a paragraph style for cells
    table.element.styleId = TABLE_STYLE_ID
    table.base_style = None
    set_fonts(table.element, BODY)
    table.font.size = Pt(10.5)
    fmt = table.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    register_fallbacks(doc)


def page(section):
    """A4 portrait, margins 37/35/28/26 mm; the footer's number 7 mm under the 版心."""
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(MARGINS_MM["bottom"] - 7 - 5)
    section.header_distance = Mm(15)


def _field(run, instruction):
    """A field (``PAGE``) inside ``run``: begin, instruction, separate, shown value, end."""
    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    shown = OxmlElement("w:t")
    shown.text = "1"
    for el in (fld("begin"), instr, fld("separate"), shown, fld("end")):
        run._r.append(el)


def _page_number(paragraph, align, indent):
    paragraph.text = ""
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(0)
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = indent
    else:
        fmt.left_indent = indent
    for part in ("— ", None, " —"):
        run = paragraph.add_run(part or "")
        run.font.size = PAGE_NUMBER_SIZE
        set_fonts(run._element, PAGE_NUMBER)
        if part is None:
            _field(run, "PAGE")


def page_numbers(doc, section):
    """"— 1 —" in 宋体 四号 at the outside: odd pages right, even pages left, each one
    character in (separate even-page footers, w:evenAndOddHeaders on)."""
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT, PAGE_NUMBER_SIZE)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT,
                 PAGE_NUMBER_SIZE)


# --- tables ------------------------------------------------------------------------------

def text_width(text):
    """Width of ``text`` in characters of its font: a CJK character 1, ASCII about half."""
    return sum(0.55 if ch.isascii() else 1.0 for ch in text)


def column_widths(headers, rows, size_pt, flex, available_mm=TEXT_WIDTH_MM):
    """Widths (mm) of a table's columns sized to their content at ``size_pt``: each column
    as wide as its widest cell (headings broken into their lines), column ``flex`` (the
    names) taking what is left (at least its heading). None when even that does not fit."""
    char_mm = size_pt * 0.3528
    need = []
    for i, lines in enumerate(headers):
        widest = max([text_width(line) for line in lines] +
                     [text_width(r[i]) for r in rows if i != flex] + [1])
        need.append(widest * char_mm + 2 * CELL_PAD_MM + 0.6)
    rest = available_mm - sum(w for i, w in enumerate(need) if i != flex)
    if rest < max(need[flex], 4.2 * char_mm):
        return None
    need[flex] = rest             # the table spans the 版心; the names get the room left
    return need


def table(doc, headers, rows, widths_mm, size, groups=None):
    """A fixed-layout table: heading rows marked w:tblHeader (repeated on every page), no
    row split across pages (w:cantSplit), columns ``widths_mm``. ``headers``: one tuple of
    lines per column; ``groups`` ([(text, first, span)]) adds a top heading row in which a
    metric's name spans its columns and single columns span both rows."""
    head_rows = 2 if groups and any(span > 1 for _t, _i, span in groups) else 1
    t = doc.add_table(rows=head_rows, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False             # w:tblLayout fixed
    _layout(t, widths_mm)
    if head_rows == 2:
        _group_heading(t, headers, groups, size)
    else:
        for i, lines in enumerate(headers):
            _cell(t.rows[0].cells[i], lines, size, bold=True)
    for values in rows:
        cells = t.add_row().cells          # python-docx works the row's grid out per access
        for cell, value in zip(cells, values):
            _cell(cell, (value,), size)
    for i, row in enumerate(t.rows):
        _row_flags(row, header=i < head_rows)
        for c, w in zip(row.cells, widths_mm):
            c.width = Mm(w)
    return t


def _group_heading(t, headers, groups, size):
    top, bottom = t.rows[0].cells, t.rows[1].cells
    for text, first, span in groups:
        if span == 1:
            merged = top[first].merge(bottom[first])
            _cell(merged, headers[first], size, bold=True)
        else:
            merged = top[first].merge(top[first + span - 1])
            _cell(merged, (text,), size, bold=True)
            for i in range(first, first + span):
                _cell(t.rows[1].cells[i], headers[i], size, bold=True)


def _layout(t, widths_mm):
    tbl_pr = t._tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    if width is not None:
        width.set(qn("w:type"), "dxa")
        width.set(qn("w:w"), str(sum(int(Mm(w).twips) for w in widths_mm)))
    margins = parse_xml(f'<w:tblCellMar {nsdecls("w")}>'
                        f'<w:left w:w="{int(CELL_PAD_MM * 56.7)}" w:type="dxa"/>'
                        f'<w:right w:w="{int(CELL_PAD_MM * 56.7)}" w:type="dxa"/></w:tblCellMar>')
    _insert_before(tbl_pr, margins, ("w:tblLook", "w:tblCaption", "w:tblDescription"))
    for col, w in zip(t.columns, widths_mm):
        col.width = Mm(w)


def _row_flags(row, header):
    tr_pr = row._tr.get_or_add_trPr()
    names = ["w:cantSplit"] + (["w:tblHeader"] if header else [])
    for name in names:
        if tr_pr.find(qn(name)) is None:
            tr_pr.append(OxmlElement(name))


def _cell(cell, lines, size, bold=False):
    cell.text = ""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    # the style by its id: by name, python-docx searches every style of the document per cell
    paragraph._p.style = TABLE_STYLE_ID
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        run.font.size = size
        run.bold = False          # a heading cell is 黑体, which needs no bold
        set_fonts(run._element, HEI if bold else BODY)
        if i < len(lines) - 1:
            run.add_break()


# Children of w:pPr that come after w:pBdr (ECMA-376 order; Word refuses others).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
               "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
               "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
               "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
               "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")


def _insert_before(parent, child, successors):
    for el in parent:
        if el.tag in {qn(s) for s in successors}:
            el.addprevious(child)
            return
    parent.append(child)


def rule_under(paragraph, colour="FF0000", size_eighths=12, space_pt=11):
    """A red rule under ``paragraph`` as wide as the 版心 (the 版头's 分隔线, 4 mm under
    the 文号)."""
    border = parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{size_eighths}" '
                       f'w:space="{space_pt}" w:color="{colour}"/></w:pBdr>')
    _insert_before(paragraph._p.get_or_add_pPr(), border, _AFTER_PBDR)
