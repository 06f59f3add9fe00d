"""Reading an uploaded ledger workbook safely (issue "Excel in and out").

A file is refused as a whole, with a zh-CN message and nothing written, when it is not an
.xlsx (an .xls or a .csv renamed: the message says so, from the magic bytes and the zip's
[Content_Types].xml), too large, a zip bomb (the uncompressed sizes in the zip directory
are checked before openpyxl opens anything), its data sheet is hidden, its header row has
merged cells or a required column is missing, or it has more than MAX_ROWS data rows.
A formula where a value is expected is an error of that cell."""
import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ...domain import import_rules as rules
from ..xlsx import FORMULA_STARTS

DATA_SHEET = "项目台账"
XLSX_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


class FileRefused(Exception):
    """The whole file is refused; ``str(exc)`` is the zh-CN message."""


@dataclass
class ParsedFile:
    sheet: str
    columns: dict            # field key -> column letter
    rows: list               # [(row number, {key: value}, {key: error})]
    ignored: list = field(default_factory=list)  # header titles that name no column


def _magic_message(data):
    head = data[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "这是旧版 Excel 97-2003（.xls）文件（可能改了扩展名）。请在 Excel 中“另存为”.xlsx 后再上传。"
    sample = data[:4096]
    try:
        sample.decode("utf-8")
        text = True
    except UnicodeDecodeError:
        text = sample.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in sample
    if text and (b"," in sample or b"\t" in sample or b"\n" in sample):
        return "这是文本或 CSV 文件（可能改了扩展名），不是 .xlsx。请在 Excel 中“另存为”.xlsx 后再上传。"
    return "文件不是 Excel 工作簿（.xlsx）。请上传由 Excel 或 WPS 保存的 .xlsx 文件。"


def check_archive(data, max_bytes):
    """Refuse what is not a plain, reasonably sized .xlsx before openpyxl sees it."""
    if len(data) > max_bytes:
        raise FileRefused(f"文件过大（{len(data) / 1048576:.1f} MB），上限为 "
                          f"{max_bytes / 1048576:.0f} MB。请分成几个文件导入。")
    if not data.startswith(b"PK\x03\x04"):
        raise FileRefused(_magic_message(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused("文件已损坏，无法作为 .xlsx 打开。") from None
    total = sum(m.file_size for m in members)
    bomb = any(m.file_size > 1048576 and m.file_size > rules.MAX_RATIO * max(m.compress_size, 1)
               for m in members)
    if total > rules.MAX_UNZIPPED or bomb or len(members) > 10_000:
        raise FileRefused("文件解压后异常巨大（疑似“压缩炸弹”），已拒绝，未读取任何内容。")
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names:
        raise FileRefused("文件不是 Excel 工作簿（.xlsx）：缺少内容类型说明。")
    types = archive.read("[Content_Types].xml")
    if XLSX_TYPE not in types:
        if b"macroEnabled" in types:
            raise FileRefused("这是含宏的工作簿（.xlsm），请另存为普通 .xlsx 后再上传。")
        if b"wordprocessingml" in types or b"presentationml" in types:
            raise FileRefused("这是 Word 或 PowerPoint 文件，不是 Excel 工作簿（.xlsx）。")
        raise FileRefused("文件不是 Excel 工作簿（.xlsx）。")
    return archive


def _data_sheet(book):
    sheet = book[DATA_SHEET] if DATA_SHEET in book.sheetnames else book.worksheets[0] \
        if book.worksheets else None
    if sheet is None:
        raise FileRefused("工作簿中没有工作表。")
    if sheet.sheet_state != "visible":
        raise FileRefused(f"数据所在的工作表「{sheet.title}」是隐藏的。请取消隐藏、核对内容后再导入"
                          "（不从隐藏工作表导入数据）。")
    return sheet


def _merged_in(archive, sheet, header_row):
    """The first merged range of the sheet that touches ``header_row``, or None."""
    path = getattr(sheet, "_worksheet_path", None)
    if not path:
        return None
    xml = archive.read(path.lstrip("/"))
    start = xml.rfind(b"<mergeCells")
    if start < 0:
        start = xml.rfind(b":mergeCells")
    for m in _MERGE.finditer(xml, start) if start >= 0 else ():
        first, last = int(m.group(2)), int(m.group(4) or m.group(2))
        if first <= header_row <= last:
            return m.group(0).split(b'"')[1].decode()
    return None


def _header_row(sheet):
    """``(row number, values)`` of the header: the first of the top rows naming 项目名称
    (a title row above it, as in the export, is allowed)."""
    top = sheet.iter_rows(min_row=1, max_row=rules.HEADER_ROWS, values_only=True)
    for number, values in enumerate(top, start=1):
        if any(rules.header_key(v) == "name" for v in values):
            return number, values
    return 1, next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())


def _headers(header_row):
    columns, index, ignored = {}, {}, []
    for i, title in enumerate(header_row):
        key = rules.header_key(title)
        if key is None:
            if title not in (None, "") and not rules.is_ignored(title):
                ignored.append(str(title))
            continue
        if key in columns:
            raise FileRefused(f"列名「{rules.TITLES[key]}」出现了两次"
                              f"（{columns[key]} 列和 {get_column_letter(i + 1)} 列）。")
        columns[key] = get_column_letter(i + 1)
        index[i] = key
    return columns, index, ignored


def _cell(value):
    """A cell's value: formulas flagged, the export's ``'`` before a formula-like text
    removed (so an exported file imports as it was)."""
    if isinstance(value, str):
        if value.startswith("="):
            return None, f"单元格是公式（{value[:30]}），应为数值或文字。请复制后“粘贴为数值”。"
        if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
            return value[1:], None
    return value, None


def _rows(sheet, index, header_row):
    out = []
    rows = sheet.iter_rows(min_row=header_row + 1, values_only=True)
    for number, values in enumerate(rows, start=header_row + 1):
        if not any(v not in (None, "") for v in values):
            continue
        if len(out) >= rules.MAX_ROWS:
            raise FileRefused(f"数据超过 {rules.MAX_ROWS:,} 行，请分成几个文件导入。")
        data, errors = {}, {}
        for i, key in index.items():
            value, error = _cell(values[i] if i < len(values) else None)
            data[key] = value
            if error:
                errors[key] = error
        out.append((number, data, errors))
    return out


def parse(data, max_bytes, *, need_task_force=True):
    """The data rows of ``data`` (the bytes of an .xlsx); raises FileRefused."""
    archive = check_archive(data, max_bytes)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged part
        raise FileRefused("文件已损坏，无法作为 .xlsx 打开。") from None
    try:
        sheet = _data_sheet(book)
        number, header = _header_row(sheet)
        merged = _merged_in(archive, sheet, number)
        if merged:
            raise FileRefused(f"第 {number} 行（列名行）有合并单元格 {merged}。请取消合并，"
                              "每列一个列名（可下载导入模板对照）。")
        columns, index, ignored = _headers(header)
        required = rules.REQUIRED + (("task_force",) if need_task_force else ())
        missing = [rules.TITLES[k] for k in required if k not in columns]
        if missing:
            raise FileRefused(f"第 {number} 行（列名行）缺少列：{'、'.join(missing)}"
                              "（可下载导入模板对照）。")
        return ParsedFile(sheet.title, columns, _rows(sheet, index, number), ignored)
    finally:
        book.close()
