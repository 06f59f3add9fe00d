"""An uploaded spreadsheet read into one Sheet, whatever its format (issue 18, Formats).

The format comes from the bytes, never the file name: a zip holding [Content_Types].xml is
an .xlsx, a zip whose ``mimetype`` is the OpenDocument spreadsheet type an .ods, an OLE2
compound file (D0 CF 11 E0) an .xls (Excel 97-2003, WPS) or an encrypted .xlsx, anything
else that decodes as text a .csv. .xlsx, .xls and .ods are read by python-calamine (values;
12-20x faster than openpyxl's read-only mode on 10,000 rows: bench/bench_import.py);
before it opens a file, what it cannot be trusted with is judged here from the file itself
(zipped, ole2): the zip directory, every XML part, encryption, and the extent of the data
sheet, since the reader allocates a sheet's whole rectangle (two cells at A1 and XFD1048576
abort the process). What the reader does not tell is read from the file as well:

    format  formulas                 merged cells           hidden sheet   encrypted
    .xlsx   <f> of the sheet XML     reader                 reader         OLE2 EncryptionInfo
    .xls    FORMULA records (BIFF)   reader                 reader         FILEPASS record
    .ods    table:formula            table:number-*-spanned reader         manifest encryption-data
    .csv    a field starting "="     none                   none           none

Raises zipped.Refused (parse turns it into FileRefused)."""
import io
import struct
from dataclasses import dataclass, field

import python_calamine as calamine

from . import delimited, ole2, zipped
from .zipped import BROKEN, ENCRYPTED, TOO_LARGE, Refused

MAX_CELLS = 2_500_000   # rows x columns of the data sheet (all sheets of an .xls, .ods): 50,000 x 50
MAX_COLUMNS = 16_384    # XFD, the last column of Excel
FORMATS = {"xlsx": ".xlsx", "xls": ".xls", "ods": ".ods", "csv": ".csv"}


@dataclass
class Sheet:
    """The data sheet: its non-empty rows with their 1-based numbers, the merged ranges
    ``(first row, first column, last row, last column)``, 1-based; a formula cell's value
    is the text of its formula (``=…``; ``=`` alone when the format keeps no text)."""
    title: str
    kind: str
    rows: list                          # [(row number, [values])], in order
    merged: list = field(default_factory=list)
    encoding: str = ""                  # of a .csv

    def iter_rows(self, min_row=1, max_row=None, values_only=True):
        """Every row from ``min_row`` to ``max_row`` (default: the last non-empty one), an
        empty one as ``()``: what openpyxl's ``iter_rows(values_only=True)`` gives."""
        last = max_row if max_row is not None else self.rows[-1][0] if self.rows else 0
        found = iter(self.rows)
        pending = next(found, None)
        for number in range(min_row, last + 1):
            while pending is not None and pending[0] < number:
                pending = next(found, None)
            yield tuple(map(plain, pending[1])) if pending is not None and pending[0] == number \
                else ()


def plain(value):
    """A cell as openpyxl gives it: empty text as None, a whole float as int (the reader
    gives a workbook's 100 as 100.0; a text field wants "100", not "100.0")."""
    if value == "":
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def read(data, preferred, limit):
    """The Sheet of ``data``: the sheet named ``preferred``, else the first worksheet; at
    most ``limit`` non-empty rows are kept (the caller refuses more)."""
    if data.startswith(b"PK\x03\x04"):
        archive = zipped.open_archive(data)
        names = set(archive.namelist())
        if "mimetype" in names and "[Content_Types].xml" not in names:
            return _ods(data, archive, preferred, limit)
        return _xlsx(data, archive, preferred, limit)
    if data.startswith(ole2.SIGNATURE):
        return _xls(data, preferred, limit)
    return _csv(data, limit)


def _open(data, kind):
    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise Refused(ENCRYPTED) from None
    except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException
        _reraise_exits(exc)
        raise Refused(BROKEN.format(f"无法作为 {FORMATS[kind]} 打开")) from None


def _reraise_exits(exc):
    """Let an interpreter exit through; anything else the reader raises (a panic of the Rust
    reader is a BaseException) means the file could not be read."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc


def _chosen(book, preferred):
    """The metadata of the data sheet; a hidden one is refused."""
    sheets = book.sheets_metadata
    found = next((s for s in sheets if s.name == preferred), None) or next(
        (s for s in sheets if s.typ == calamine.SheetTypeEnum.WorkSheet), None)
    if found is None:
        raise Refused("工作簿中没有工作表。")
    if found.visible != calamine.SheetVisibleEnum.Visible:
        raise Refused(f"数据所在的工作表「{found.name}」是隐藏的。请取消隐藏、核对内容后再导入"
                      "（不从隐藏工作表导入数据）。")
    return found


def _bound(rows, columns, cells=None):
    """Refuse a sheet (or sheets: their ``cells`` in all) the reader would allocate too large."""
    if (rows * columns if cells is None else cells) > MAX_CELLS or columns > MAX_COLUMNS:
        raise Refused(TOO_LARGE.format(rows=rows, columns=columns))


def _values(book, name, formulas, limit):
    """The non-empty rows of sheet ``name`` with ``formulas`` laid over its cached values."""
    try:
        sheet = book.get_sheet_by_name(name)
        merged = [(a + 1, b + 1, c + 1, d + 1) for (a, b), (c, d) in sheet.merged_cell_ranges or ()]
        table = sheet.to_python(skip_empty_area=False)
    except BaseException as exc:  # noqa: BLE001 - a part read only now may be damaged
        _reraise_exits(exc)
        raise Refused(BROKEN.format(f"工作表「{name}」无法读取")) from None
    finally:
        book.close()
    for (number, column), text in formulas.items():
        while len(table) < number:
            table.append([])
        row = table[number - 1]
        row.extend([""] * (column - len(row)))
        row[column - 1] = text
    rows = []
    for number, values in enumerate(table, start=1):
        if values.count("") != len(values):
            rows.append((number, values))
            if len(rows) >= limit:
                break
    return rows, merged


def _xlsx(data, archive, preferred, limit):
    zipped.xlsx_types(archive)
    zipped.check_all_xml(archive)
    book = _open(data, "xlsx")
    name = _chosen(book, preferred).name
    found = zipped.xlsx_sheet(zipped.read_member(archive, zipped.xlsx_sheet_part(archive, name)))
    _bound(found.rows, found.columns)
    rows, merged = _values(book, name, found.formulas, limit)
    return Sheet(name, "xlsx", rows, merged)


def _ods(data, archive, preferred, limit):
    zipped.ods_types(archive)
    tables = zipped.ods_sheets(archive, MAX_CELLS)   # every table: the reader reads them all
    for table in tables.values():
        _bound(table.rows, table.columns, 0)
    zipped.check_all_xml(archive, skip={"content.xml"})
    book = _open(data, "ods")
    name = _chosen(book, preferred).name
    found = tables.get(name, zipped.SheetXml())
    rows, _ = _values(book, name, found.formulas, limit)
    return Sheet(name, "ods", rows, found.merged)


def _compound(data):
    try:
        compound = ole2.Compound(data)
    except (ole2.Broken, IndexError, ValueError, struct.error):
        raise Refused(BROKEN.format("不是完整的 .xls 文件")) from None
    names = compound.names
    if {"EncryptionInfo", "EncryptedPackage"} & names:
        raise Refused(ENCRYPTED)
    if not set(ole2.WORKBOOK_STREAMS) & names:
        if "WordDocument" in names or "PowerPoint Document" in names:
            raise Refused("这是 Word 或 PowerPoint 文件（.doc/.ppt），不是 Excel 表格。")
        raise Refused("文件不是 Excel 工作簿（.xls）。")
    return compound


def _xls(data, preferred, limit):
    compound = _compound(data)
    try:
        biff = ole2.workbook(compound)
    except (ole2.Broken, IndexError, ValueError, struct.error):
        raise Refused(BROKEN.format("不是完整的 .xls 文件")) from None
    if biff.encrypted:
        raise Refused(ENCRYPTED)
    # the reader materialises every sheet when it opens the file
    if biff.sheets:
        largest = max(biff.sheets, key=lambda s: (s.rows * s.columns, s.columns))
        _bound(largest.rows, max(s.columns for s in biff.sheets),
               sum(s.rows * s.columns for s in biff.sheets))
    book = _open(data, "xls")
    chosen = _chosen(book, preferred)
    names = [s.name for s in book.sheets_metadata]
    paired = biff.sheets[names.index(chosen.name)] if len(names) == len(biff.sheets) else None
    formulas = paired.formulas if paired is not None and paired.name == chosen.name else {}
    rows, merged = _values(book, chosen.name, formulas, limit)
    return Sheet(chosen.name, "xls", rows, merged)


def _csv(data, limit):
    encoding, rows = delimited.rows(data, limit)
    _bound(len(rows), max((len(values) for _, values in rows), default=0), 0)
    return Sheet("CSV", "csv", rows, encoding=encoding)

