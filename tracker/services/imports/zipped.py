"""The zip formats (.xlsx, .ods) judged before a parser opens them: the zip directory (sizes,
ratios, member count: a zip bomb is refused unread), every XML part well-formed with no
DTD (a truncated part, an undefined entity or a billion-laughs DTD is refused, where the
reader would silently read an empty cell), and the data sheet's extent, formula cells and
merged ranges read from its XML (the reader gives formula cells as their cached values,
allocates a sheet's whole rectangle and sees no merged cells in .ods).

Helpers raise ``Refused(message)``; parse turns it into FileRefused."""
import io
import re
import xml.etree.ElementTree as ElementTree
import xml.parsers.expat as expat
import zipfile
import zlib
from dataclasses import dataclass, field

from ...domain import import_rules as rules

XLSX_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ODS_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"
BROKEN = "文件已损坏（{}），无法读取。请在 Excel 或 WPS 中打开后“另存为”再上传。"
TOO_LARGE = ("工作表的数据区域过大（到第 {rows:,} 行、第 {columns:,} 列），已拒绝，未读取。请删除多余的"
             "行列（包括远处零星的内容）或分成几个文件导入。")
ENCRYPTED = ("文件设有打开密码（已加密），无法读取。请在 Excel 或 WPS 中取消密码"
             "（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存，再上传。")

# a cell holding a value or a formula (an empty styled cell is not read): its column, row
_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br=["\']([A-Za-z]{1,3})([0-9]{1,7})["\'][^>]*(?<!/)>\s*'
                   rb'<(?:\w+:)?(?:v|is|f)\b')
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>\s*<(?:v|is|f)\b')
_BAD_PLAIN_REF = re.compile(rb'<c r="(?![A-Z]{1,3}[0-9]{1,7}")')
_ODD_CELL = re.compile(rb'<\w+:c[\s>/]|<c[\t\r\n>/]')   # a prefix, or no space after <c
_ANY_CELL = re.compile(rb'<(?:\w+:)?c[\s>/]')
_VALID_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br=["\'][A-Za-z]{1,3}[0-9]{1,7}["\']')
_CELL_START = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br=["\']([A-Za-z]{1,3}[0-9]{1,7})["\']')
_FORMULA = re.compile(rb'<(?:\w+:)?f[\s>/]')
_SST = re.compile(rb'<(?:\w+:)?sst\b[^>]*>')
_UNIQUE = re.compile(rb'\buniqueCount\s*=\s*["\']\s*([0-9]+)')
_SI = re.compile(rb'<(?:\w+:)?si[\s>/]')
_FORMULA_TEXT = re.compile(rb'<(?:\w+:)?f[^>]*>([^<]{0,60})')


class Refused(Exception):
    """The file is refused; ``str(exc)`` is the zh-CN message."""


@dataclass
class SheetXml:
    """What the reader does not tell about a sheet: 1-based (row, column) throughout."""
    rows: int = 0
    columns: int = 0
    formulas: dict = field(default_factory=dict)   # (row, column) -> "=text"
    merged: list = field(default_factory=list)     # (first row, first col, last row, last col)


def open_archive(data):
    """The ZipFile of ``data`` once its directory is judged safe; raises Refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise Refused(BROKEN.format("不是完整的压缩包")) from None
    total = sum(m.file_size for m in members)
    bomb = any(m.file_size > 1048576 and m.file_size > rules.MAX_RATIO * max(m.compress_size, 1)
               for m in members)
    if total > rules.MAX_UNZIPPED or bomb or len(members) > 10_000:
        raise Refused("文件解压后异常巨大（疑似“压缩炸弹”），已拒绝，未读取任何内容。")
    return archive


def read_member(archive, name):
    try:
        return archive.read(name)
    except KeyError:
        raise Refused(BROKEN.format(f"缺少 {name}")) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, OSError,
            EOFError, NotImplementedError, RuntimeError):
        raise Refused(BROKEN.format(f"{name} 无法解压")) from None


def _refuse_dtd(*_):
    raise Refused(BROKEN.format("XML 中含有 DTD 声明"))


def check_xml(name, xml, handlers=None):
    """Refuse ``xml`` unless it is well-formed with no DTD (so no entity can be declared);
    ``handlers`` (expat handler name -> function) see it on the way."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    for attribute, handler in (handlers or {}).items():
        setattr(parser, attribute, handler)
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise Refused(BROKEN.format(f"{name} 第 {exc.lineno} 行：{expat.errors.messages[exc.code]}"
                                    if exc.code in expat.errors.messages else name)) from None


def check_all_xml(archive, skip=()):
    """Every .xml and .rels member well-formed (``skip``: checked by the caller), and a
    shared-string table's ``uniqueCount`` no larger than the strings it holds (the reader
    reserves room for that many strings first: 10^11 aborts the process)."""
    for member in archive.infolist():
        if member.filename.endswith((".xml", ".rels")) and member.filename not in skip:
            xml = read_member(archive, member.filename)
            check_xml(member.filename, xml)
            table = _SST.search(xml)
            unique = _UNIQUE.search(table.group(0)) if table else None
            if unique and int(unique.group(1)) > len(_SI.findall(xml)) + 1024:
                raise Refused(BROKEN.format(f"{member.filename} 的字符串数目与内容不符"))


# --- .xlsx ------------------------------------------------------------------------------

def xlsx_types(archive):
    """Refuse a zip that is not a plain .xlsx workbook: (xlsm, xlsb, Word, PowerPoint)."""
    if "[Content_Types].xml" not in archive.namelist():
        raise Refused("文件不是 Excel 工作簿（.xlsx）：缺少内容类型说明。")
    types = read_member(archive, "[Content_Types].xml")
    if XLSX_TYPE in types:
        return
    if b"macroEnabled" in types:
        raise Refused("这是含宏的工作簿（.xlsm）或二进制工作簿（.xlsb），请另存为普通 .xlsx 后再上传。")
    if b"wordprocessingml" in types or b"presentationml" in types:
        raise Refused("这是 Word 或 PowerPoint 文件，不是 Excel 工作簿。")
    raise Refused("文件不是 Excel 工作簿（.xlsx）。")


def _local(tag):
    return tag.rsplit("}", 1)[-1].rsplit(" ", 1)[-1]


def xlsx_sheet_part(archive, sheet_name):
    """The zip member of the worksheet named ``sheet_name`` (workbook.xml and its rels)."""
    types = ElementTree.fromstring(read_member(archive, "[Content_Types].xml"))
    book = next((e.get("PartName", "") for e in types.iter() if e.get("ContentType", "").encode()
                 == XLSX_TYPE), "/xl/workbook.xml").lstrip("/")
    folder, _, base = book.rpartition("/")
    rels = ElementTree.fromstring(read_member(archive, f"{folder}/_rels/{base}.rels"))
    targets = {e.get("Id"): e.get("Target", "") for e in rels.iter() if _local(e.tag) == "Relationship"}
    for sheet in ElementTree.fromstring(read_member(archive, book)).iter():
        if _local(sheet.tag) == "sheet" and sheet.get("name") == sheet_name:
            rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
            target = targets.get(rid, "")
            return target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
    raise Refused(BROKEN.format(f"找不到工作表「{sheet_name}」"))


def _column_number(letters):
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_data(xml):
    start = xml.find(b"sheetData")
    end = xml.rfind(b"sheetData>")
    return xml[start:end] if 0 <= start < end else b""


def xlsx_sheet(xml):
    """The extent and formula cells of a worksheet's XML (merged ranges come from the reader).
    A cell without its reference (never written by Excel, WPS or LibreOffice) is refused:
    the reader would place it after the previous one, so its extent cannot be known here."""
    found, data = SheetXml(), _sheet_data(xml)
    if data.count(b"<c ") == data.count(b'<c r="') and not _BAD_PLAIN_REF.search(data) \
            and not _ODD_CELL.search(data):
        cells = _PLAIN_CELL.findall(data)    # Excel, WPS, openpyxl: 3x faster than below
    else:
        if len(_ANY_CELL.findall(data)) != len(_VALID_REF.findall(data)):
            raise Refused("工作表中有缺少位置（r 属性）或位置无效的单元格，无法安全读取。请用 Excel 或 "
                          "WPS 打开后“另存为”.xlsx 再上传。")
        cells = [(col.upper(), row) for col, row in _CELL.findall(data)]
    if cells:
        found.rows = max(int(row) for _, row in cells)
        found.columns = max(_column_number(col) for col in {c for c, _ in cells})
    for match in _FORMULA.finditer(data):
        at = match.start()
        cell = _CELL_START.match(data, max(data.rfind(b"<", 0, at), 0))  # <f> opens its cell
        if cell is None:
            raise Refused("工作表中有公式单元格，请复制后“粘贴为数值”再导入。")
        ref = cell.group(1).upper()
        letters = ref.rstrip(b"0123456789")
        text = _FORMULA_TEXT.match(data, at)
        formula = text.group(1).decode("utf-8", "replace") if text else ""
        found.formulas[(int(ref[len(letters):]), _column_number(letters))] = "=" + formula
    return found


# --- .ods -------------------------------------------------------------------------------

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "


def ods_types(archive):
    """Refuse a zip that is not an OpenDocument spreadsheet, or one whose content is
    encrypted (a password set in LibreOffice/WPS)."""
    names = archive.namelist()
    mimetype = read_member(archive, "mimetype").strip() if "mimetype" in names else b""
    if mimetype != ODS_TYPE:
        if b"opendocument" in mimetype:
            raise Refused("这是 OpenDocument 文字或演示文稿，不是电子表格（.ods）。")
        raise Refused("文件不是电子表格（.xlsx、.ods）：压缩包中缺少工作簿。")
    manifest = read_member(archive, "META-INF/manifest.xml") \
        if "META-INF/manifest.xml" in names else b""
    if b"encryption-data" in manifest:
        raise Refused(ENCRYPTED)


class _OdsScan:
    """expat handlers over content.xml: every table's extent (repeats counted), formula
    cells and merged (spanned) cells; refuses when the tables' cells, which the reader
    materialises at once, exceed ``max_cells``."""

    def __init__(self, max_cells):
        self.max_cells, self.tables, self.area = max_cells, {}, 0
        self.sheet, self.row, self.row_repeat, self.row_cells = None, 0, 1, []
        self.col, self.cell = 0, None

    def start(self, name, attrs):
        if name == _TABLE + "table" and self.cell is None:
            self.sheet = self.tables.setdefault(attrs.get(_TABLE + "name", ""), SheetXml())
            self.row = 0
        elif name == _TABLE + "table-row" and self.sheet is not None and self.cell is None:
            self.row_repeat = _count(attrs.get(_TABLE + "number-rows-repeated"))
            self.col, self.row_cells = 0, []
        elif name in (_TABLE + "table-cell", _TABLE + "covered-table-cell") and self.cell is None:
            formula = attrs.get(_TABLE + "formula")
            spans = (_count(attrs.get(_TABLE + "number-rows-spanned")),
                     _count(attrs.get(_TABLE + "number-columns-spanned")))
            self.cell = [_count(attrs.get(_TABLE + "number-columns-repeated")),
                         _OFFICE + "value-type" in attrs or formula is not None, formula, spans]
        elif self.cell is not None:
            self.cell[1] = True   # text or any other content inside the cell

    def end(self, name):
        if name in (_TABLE + "table-cell", _TABLE + "covered-table-cell") and self.cell:
            repeat, has_value, formula, spans = self.cell
            self.cell = None
            if has_value or spans != (1, 1):
                self.row_cells.append((self.col, repeat, has_value, formula, spans))
            self.col += repeat
        elif name == _TABLE + "table-row" and self.sheet is not None and self.cell is None:
            self._row_done()
            self.row += self.row_repeat
        elif name == _TABLE + "table" and self.cell is None:
            self.sheet = None

    def _row_done(self):
        sheet, first = self.sheet, self.row + 1
        valued = [c for c in self.row_cells if c[2]]
        if valued:
            before = sheet.rows * sheet.columns
            sheet.rows = self.row + self.row_repeat
            sheet.columns = max(sheet.columns, max(col + repeat for col, repeat, *_ in valued))
            self.area += sheet.rows * sheet.columns - before
            if self.area > self.max_cells:
                raise Refused(TOO_LARGE.format(rows=sheet.rows, columns=sheet.columns))
        for col, repeat, _, formula, spans in self.row_cells:
            if formula is not None:
                text = "=" + formula.split(":=", 1)[-1].lstrip("=")
                for number in range(first, first + self.row_repeat):
                    sheet.formulas.update(((number, c), text) for c in range(col + 1, col + repeat + 1))
            if spans != (1, 1) and first <= rules.HEADER_ROWS:   # only a header row's matter
                sheet.merged.append((first, col + 1, first + self.row_repeat + spans[0] - 2,
                                     col + repeat * spans[1]))


def _count(value):
    try:
        return max(1, min(int(value or 1), 1 << 24))
    except ValueError:
        raise Refused(BROKEN.format("重复次数无效")) from None


def ods_sheets(archive, max_cells):
    """{table name: SheetXml} of content.xml (checked well-formed on the way)."""
    scan = _OdsScan(max_cells)
    check_xml("content.xml", read_member(archive, "content.xml"),
              {"StartElementHandler": scan.start, "EndElementHandler": scan.end})
    return scan.tables
