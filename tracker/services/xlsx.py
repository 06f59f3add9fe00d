"""Shared rules of every workbook the app writes (ledger and progress exports).

Cells (OWASP "CSV injection"): a text cell is always a string, never a formula — text
starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` — and the control
characters openpyxl refuses are removed, so an old row holding one still exports. Numbers
and dates stay real numbers and dates. Every cell goes through :func:`safe_value`
(:func:`append_row`, :func:`put`).

Layout: a title row above the header, a bold header with an auto-filter, column widths
fitted to the text (a CJK character counts two), status cells filled with the dashboard's
colours (tracker.domain.progress.STATUS_COLOURS). The download name is sent per RFC 6266:
``filename*=UTF-8''…`` plus an ASCII ``filename=`` fallback.
"""
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .. import clock
from ..domain import progress as P

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# First characters a spreadsheet reads as the start of a formula (or DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Number formats
MONEY = "#,##0.00"
COUNT = "#,##0"
DECIMAL_1 = "#,##0.0"
PERCENT = "0.00%"
POINTS = "+0.00;-0.00;0.00"
DATE = "yyyy-mm-dd"

MIN_WIDTH, MAX_WIDTH = 6, 50


def safe_text(value):
    """``value`` as text a spreadsheet shows as it is: refused control characters removed,
    a leading ``'`` before a formula-like start."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_value(value):
    """A cell value: text made safe (:func:`safe_text`); numbers, dates, booleans and empty
    cells unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def append_row(sheet, values):
    """Append one row of safe values; every text cell is stored as a string cell."""
    sheet.append([safe_value(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
    return sheet.max_row


def put(sheet, row, column, value):
    """Write one safe value at (row, column); the cell."""
    cell = sheet.cell(row=row, column=column, value=safe_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def workbook_bytes(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- layout ---------------------------------------------------------------------------

def text_width(text):
    """Display width of ``text``: wide (CJK) and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(cell):
    """Roughly the text a spreadsheet shows for ``cell``."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "2026-01-01"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if cell.number_format == PERCENT:
        return f"{value * 100:.2f}%"
    if cell.number_format in (MONEY, POINTS):
        return f"+{value:,.2f}"
    return f"{value:,.1f}" if cell.number_format == DECIMAL_1 else f"{value:,.0f}"


def fit_widths(sheet, first_row, min_width=MIN_WIDTH, max_width=MAX_WIDTH):
    """Set each column's width to its widest cell from ``first_row`` on (header included;
    the title row above is left out), within [min_width, max_width]."""
    widths = {}
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            lines = _shown(cell).split("\n")
            width = max(text_width(line) for line in lines)
            widths[cell.column] = max(widths.get(cell.column, 0), width)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = \
            min(max(width + 2, min_width), max_width)


def write_title(sheet, text, columns):
    """The title line in row 1, merged over ``columns`` columns."""
    cell = put(sheet, 1, 1, text)
    cell.font = Font(bold=True, size=12)
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    if columns > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    sheet.row_dimensions[1].height = 36


def write_header(sheet, titles, row=2):
    """Bold header in ``row`` with an auto-filter over it (extended by :func:`finish`)."""
    for column, title in enumerate(titles, start=1):
        cell = put(sheet, row, column, title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E4E7EB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def finish(sheet, columns, header_row=2, freeze="A3"):
    """Auto-filter from the header to the last row, frozen panes, fitted widths."""
    last = get_column_letter(columns)
    sheet.auto_filter.ref = f"A{header_row}:{last}{max(sheet.max_row, header_row)}"
    sheet.freeze_panes = freeze
    fit_widths(sheet, header_row)


def format_row(sheet, row, formats):
    """Apply ``formats`` ({column: number format}) to the cells of ``row``."""
    for column, number_format in formats.items():
        sheet.cell(row=row, column=column).number_format = number_format


def fill_status(cell, status):
    """Fill ``cell`` with the dashboard's colour of ``status`` (white bold text)."""
    colour = P.STATUS_COLOURS.get(status)
    if colour:
        cell.fill = PatternFill("solid", fgColor=colour)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.alignment = Alignment(horizontal="center")


def export_time(now=None):
    """``now`` (default: the current time) as local text, with the zone named."""
    now = (now or clock.now()).astimezone(clock.zone())
    zone = "北京时间" if getattr(now.tzinfo, "key", "") == "Asia/Shanghai" else str(now.tzinfo)
    return f"{now:%Y-%m-%d %H:%M}（{zone}）"


# --- the file -------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def file_part(text):
    """``text`` made safe inside a file name (no path separators or reserved characters)."""
    return _UNSAFE_NAME.sub("_", unicodedata.normalize("NFKC", str(text))).strip(" ._") or "_"


def ascii_part(text):
    """``text`` reduced to letters, digits, ``-`` and ``_`` (the ASCII fallback name)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_") or "x"


@dataclass(frozen=True)
class XlsxFile:
    """An exported workbook: its bytes, its zh-CN file name and an ASCII fallback name."""
    data: bytes
    filename: str
    ascii_filename: str
    rows: int = 0

    @property
    def mimetype(self):
        return MIMETYPE

    def content_disposition(self):
        """``attachment`` with both names (RFC 6266 / RFC 5987)."""
        return (f'attachment; filename="{self.ascii_filename}"; '
                f"filename*=UTF-8''{quote(self.filename, safe='')}")
