"""Reading an uploaded ledger file safely into rows (issues "Excel in and out", 18).

The file is read by sheets.read (.xlsx, .xls, .ods or .csv, told apart by its bytes). It is
refused as a whole, with a zh-CN message and nothing written, when it is too large, none
of these formats (a Word file, a picture: the message says what it is), password-protected,
damaged (a truncated zip or stream, malformed XML anywhere in it, an entity or DTD), a zip
bomb or a sheet larger than sheets.MAX_CELLS (both judged before the reader opens it), its
data sheet is hidden, its header row has merged cells or a required column is missing, or
it has more than MAX_ROWS data rows. Any other failure while reading is refused as a
damaged file, never an error page. A formula where a value is expected is an error of
that cell (in a .csv: a field starting with "=")."""
import logging
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from ...domain import import_rules as rules
from ..xlsx import FORMULA_STARTS
from . import sheets
from .zipped import BROKEN, Refused

DATA_SHEET = "项目台账"
_SPECIAL = ("=", "'")   # the first characters _cell judges: a formula, the export's quote
log = logging.getLogger(__name__)


class FileRefused(Exception):
    """The whole file is refused; ``str(exc)`` is the zh-CN message."""


@dataclass
class ParsedFile:
    sheet: str
    columns: dict            # field key -> column letter (a rules.Column: its heading, unit)
    rows: list               # [(row number, {key: value}, {key: error})], keys in column order
    ignored: list = field(default_factory=list)  # header titles that name no column
    # field key -> (the file's heading, the unit of an amount column or None): from columns
    headings: dict = field(default_factory=dict)
    header_row: int = 0      # the row number of the header (0: unknown)

    def __post_init__(self):
        if not self.headings:
            self.headings = {key: (getattr(letter, "heading", ""), getattr(letter, "unit", None))
                             for key, letter in self.columns.items()}


def _header_row(sheet):
    """``(row number, values)`` of the header: the first of the top rows naming 项目名称 (or
    a synonym, 项目); a merged title row and a 填报单位 row above it are allowed, and a
    "单位：亿元" above it is the unit of the amount columns whose title names none
    (``values`` is a rules.HeaderRow carrying it)."""
    top = sheet.iter_rows(min_row=1, max_row=rules.HEADER_ROWS, values_only=True)
    above = []
    for number, values in enumerate(top, start=1):
        if any(rules.header_key(v) == "name" for v in values):
            # "单位：亿元" in a line above: the unit of the amount columns naming none
            return number, rules.HeaderRow(values, rules.sheet_unit(above))
        above.extend(values)
    return 1, next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())


def _headers(header_row):
    """``(columns, index, ignored)`` of the header row: ``columns`` maps a field key to its
    rules.Column (the letter, with the file's heading and an amount's unit), ``index`` maps
    every column position to its key (the columns that name no field to rules.extra_key, so
    a 合计 or 注 row is told by its first non-empty cell), ``ignored`` lists the headings that
    name no field (序号 and the export's 到位资金合计 left out; 备注 listed)."""
    columns, index, ignored = {}, {}, []
    titled = [i for i, title in enumerate(header_row) if title not in (None, "")]
    for i, title in enumerate(header_row[:titled[-1] + 1] if titled else ()):
        letter = get_column_letter(i + 1)
        found = rules.header_field(title)
        if found is None:
            if rules.is_seq(title):
                index[i] = rules.SEQ_KEY
                continue
            index[i] = rules.extra_key(letter, title)
            if title not in (None, "") and not rules.is_ignored(title):
                ignored.append(str(title))
            continue
        key = found.key
        problem = rules.unit_problem(title, found)
        if problem:
            raise FileRefused(problem)
        if key in columns:
            # a second column naming a taken field: not imported unless the person maps it
            # (services.imports.mapping); a command refuses the file (require_columns)
            index[i] = rules.extra_key(letter, title)
            ignored.append(str(title))
            continue
        unit = found.unit or (getattr(header_row, "unit", None) if key in rules.AMOUNT_KEYS
                              else None)
        columns[key] = rules.Column(letter, str(title).strip(), unit)
        index[i] = key
    return columns, index, ignored


def _cell(value):
    """A cell's value: empty text as None, a whole float as int, formulas flagged, the
    export's ``'`` before a formula-like text removed (so an exported file imports as it
    was)."""
    if isinstance(value, str):
        if value.startswith("="):
            if value == "=":
                return None, "单元格是公式，应为数值或文字。请复制后“粘贴为数值”。"
            return None, f"单元格是公式（{value[:30]}），应为数值或文字。请复制后“粘贴为数值”。"
        if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
            return value[1:], None
    return sheets.plain(value), None


def _rows(sheet, index, header_row):
    """``[(row number, {key: value}, {key: error})]`` of the data rows below the header.
    The common cells (empty, a number, text not starting with = or ') take the fast path
    here; the others go through _cell (10,000 rows x 25 columns: 0.25 s instead of 0.7 s)."""
    out, columns = [], list(index.items())
    for number, values in sheet.rows:
        if number <= header_row:
            continue
        if len(out) >= rules.MAX_ROWS:
            raise FileRefused(f"数据超过 {rules.MAX_ROWS:,} 行，请分成几个文件导入。")
        data, errors, width = {}, {}, len(values)
        for i, key in columns:
            value = values[i] if i < width else None
            kind = value.__class__
            if kind is str:
                if not value:
                    value = None
                elif value[0] in _SPECIAL:
                    value, error = _cell(value)
                    if error:
                        errors[key] = error
            elif kind is float and value.is_integer():
                value = int(value)
            data[key] = value
        out.append((number, data, errors))
    return out


def _merged_in(sheet, header_row):
    """The first merged range of the sheet that touches ``header_row`` ("A1:B1"), or None."""
    for first_row, first_col, last_row, last_col in sheet.merged:
        if first_row <= header_row <= last_row:
            return (f"{get_column_letter(first_col)}{first_row}:"
                    f"{get_column_letter(last_col)}{last_row}")
    return None


def _read(data, max_bytes):
    if len(data) > max_bytes:
        raise FileRefused(f"文件过大（{len(data) / 1048576:.1f} MB），上限为 "
                          f"{max_bytes / 1048576:g} MB。请分成几个文件导入。")
    # enough rows for the header rows above the data and one row more than allowed
    return sheets.read(data, DATA_SHEET, rules.MAX_ROWS + rules.HEADER_ROWS + 1)


def _parse(data, max_bytes, need_task_force):
    sheet = _read(data, max_bytes)
    number, header = _header_row(sheet)
    merged = _merged_in(sheet, number)
    if merged:
        raise FileRefused(f"第 {number} 行（列名行）有合并单元格 {merged}。请取消合并，"
                          "每列一个列名（可下载导入模板对照）。")
    columns, index, ignored = _headers(header)
    # the required columns are checked once the person has mapped the columns (the
    # preview: require_columns), so a column named unlike any field can still be mapped
    return ParsedFile(sheet.title, columns, _rows(sheet, index, number), ignored,
                      header_row=number)


def _twins(parsed):
    """``[(field key, letter, title)]`` of the columns naming a field an earlier one names."""
    first = parsed.rows[0][1] if parsed.rows else {}
    out = []
    for key in first:
        if isinstance(key, str) and rules.is_extra(key) and key != rules.SEQ_KEY:
            found = rules.header_field(rules.extra_title(key))
            if found is not None and found.key in parsed.columns:
                out.append((found.key, rules.extra_letter(key), rules.extra_title(key)))
    return out


def require_columns(parsed, need_task_force=True, *, twins=True):
    """Refuse a file (FileRefused) that lacks a required column or, when ``twins``, has two
    columns naming one field (a command; the pages let the person map them instead)."""
    where = f"第 {parsed.header_row} 行（列名行）" if parsed.header_row else "列名行"
    for key, letter, title in _twins(parsed) if twins else ():
        other = parsed.columns[key]
        raise FileRefused(f"列「{parsed.headings.get(key, ('', None))[0]}」和列「{title}」都是"
                          f"{rules.LABELS[key]}（{other} 列和 {letter} 列），请删去一列"
                          "或改列名。")
    required = rules.REQUIRED + (("task_force",) if need_task_force else ())
    missing = [rules.TITLES[k] for k in required if k not in parsed.columns]
    if missing:
        raise FileRefused(f"{where}缺少列：{'、'.join(missing)}（可下载导入模板对照）。")


def parse(data, max_bytes, *, need_task_force=True):
    """The data rows of ``data`` (the bytes of an .xlsx, .xls, .ods or .csv); raises
    FileRefused, for any failure while reading the file too."""
    try:
        return _parse(data, max_bytes, need_task_force)
    except FileRefused:
        raise
    except Refused as exc:
        raise FileRefused(str(exc)) from None
    except Exception:  # noqa: BLE001 - a hostile file must never become an error page
        log.warning("import file refused as damaged", exc_info=True)
        raise FileRefused(BROKEN.format("读取时出错")) from None
