"""Shared rules of every workbook the app writes (ledger, progress and award exports; the
import template).

Cells (OWASP "CSV injection"): a text cell is always a string, never a formula — text
starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` — and the control
characters openpyxl refuses are removed, so an old row holding one still exports; text that
reads like an error code (``#N/A``) stays text. Numbers and dates stay real numbers and
dates. Every cell goes through :func:`safe_value`.

Exports stream (issue 18): :func:`write_table` / :func:`write_rows` append each row once
to an openpyxl write-only workbook (:func:`new_book`), never reading the sheet back; a
table's rows pass once through a temporary file while its column widths are measured
(:class:`_Spill`), the widths being written first. Linear time, one chunk of rows in
memory (bench/bench_export.py).

Layout of a table: a title row above the header (merged over it, 36 pt high), a bold
header with an auto-filter down to the last row, frozen panes, column widths fitted to the
text (a CJK character counts two), status cells filled with the dashboard's colours
(tracker.domain.progress.STATUS_COLOURS). The download name is sent per RFC 6266:
``filename*=UTF-8''…`` plus an ASCII ``filename=`` fallback.

The import template is a normal (not write-only) workbook, written by :func:`append_row`.
"""
import datetime
import io
import pickle
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter

from .. import clock
from ..domain import progress as P

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# First characters a spreadsheet reads as the start of a formula (or DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text openpyxl would store as an error cell: kept a string cell.
_ERROR_CODES = frozenset(ERROR_CODES)

# Number formats
MONEY = "#,##0.00"
COUNT = "#,##0"
DECIMAL_1 = "#,##0.0"
PERCENT = "0.00%"
POINTS = "+0.00;-0.00;0.00"
DATE = "yyyy-mm-dd"

MIN_WIDTH, MAX_WIDTH = 6, 50
SHOWN_DATE = "2026-01-01"         # the width a date takes
DATE_WIDTH = len(SHOWN_DATE)
TITLE_HEIGHT = 36                 # points: room for a title that wraps
HEADER_FILL = "E4E7EB"
SPILL_CHUNK = 1000                # rows pickled together in a table's temporary file
SPILL_MEMORY = 8 * 1024 * 1024    # bytes of that file kept in memory before it goes to disk
PROGRESS_EVERY = 500              # rows between two progress reports of write_table


def safe_text(value):
    """``value`` as text a spreadsheet shows as it is: refused control characters removed,
    a leading ``'`` before a formula-like start."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_value(value):
    """A cell value: text made safe (:func:`safe_text`); anything else unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def append_row(sheet, values):
    """Append one row of safe values to a normal (not write-only) sheet; every text cell
    is stored as a string cell. Returns the row's number: the row just appended, never
    ``max_row`` (which openpyxl computes over every cell so far)."""
    cells = [Cell(sheet, value=safe_value(v)) for v in values]
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
    sheet.append(cells)
    return sheet._current_row


def new_book():
    """An empty write-only workbook for :func:`write_table` and :func:`write_rows`."""
    return Workbook(write_only=True)


def workbook_bytes(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- widths -----------------------------------------------------------------------------

def text_width(text):
    """Display width of ``text``: wide (CJK) and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shown(value, number_format=None):
    """Roughly the text a spreadsheet shows for ``value`` in ``number_format``."""
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return SHOWN_DATE
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if number_format == PERCENT:
        return f"{value * 100:.2f}%"
    if number_format in (MONEY, POINTS):
        return f"+{value:,.2f}"
    return f"{value:,.1f}" if number_format == DECIMAL_1 else f"{value:,.0f}"


def shown_width(text):
    """Display width of the widest line of ``text``."""
    if text.isascii():
        return max(map(len, text.split("\n"))) if "\n" in text else len(text)
    return max(text_width(line) for line in text.split("\n"))


class _Widths:
    """The widest shown value of each column from the header on (not the title row).
    Only a value that may beat its column is measured: not in a column at the maximum, not
    a text no wider than the column with each non-ASCII character counted 2, not a date or
    an empty cell once the column is as wide."""

    def __init__(self):
        self.widest = {}

    def add(self, values, formats):
        widest = self.widest
        for column, value in enumerate(values, start=1):
            now = widest.get(column, -1)
            if now >= MAX_WIDTH - 2:
                continue
            kind = type(value)
            if kind is str:
                if 2 * len(value) - len(value.encode("ascii", "ignore")) <= now:
                    continue
                width = shown_width(value)
            elif value is None:
                width = 0
            elif kind is datetime.date or kind is datetime.datetime:
                width = DATE_WIDTH
            else:
                width = shown_width(shown(value, formats.get(column)))
            if width > now:
                widest[column] = width

    def apply(self, sheet):
        """Each column's width: its widest value + 2, within [MIN_WIDTH, MAX_WIDTH]."""
        for column, width in self.widest.items():
            sheet.column_dimensions[get_column_letter(column)].width = \
                min(max(width + 2, MIN_WIDTH), MAX_WIDTH)


# --- streamed sheets --------------------------------------------------------------------

class Row(NamedTuple):
    """A row of a table with its own number formats ({column: format} instead of the
    table's) and a status cell ((column, status), filled with the dashboard's colour)."""
    values: list
    formats: dict = None
    status: tuple = None


class _Spill:
    """The rows of a table between its two passes: pickled SPILL_CHUNK at a time into a
    temporary file (held in memory up to SPILL_MEMORY), read back once, in order."""

    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=SPILL_MEMORY)
        self.chunk = []

    def add(self, row):
        self.chunk.append(row)
        if len(self.chunk) >= SPILL_CHUNK:
            self._flush()

    def _flush(self):
        if self.chunk:
            pickle.dump(self.chunk, self.file, pickle.HIGHEST_PROTOCOL)
            self.chunk = []

    def __iter__(self):
        self._flush()
        self.file.seek(0)
        while True:
            try:
                chunk = pickle.load(self.file)
            except EOFError:
                return
            yield from chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


class _Cells:
    """The styled cells of one write-only sheet, one per (column, number format, status
    colour), filled again for every row: a write-only sheet writes a row's cells out as
    the row is appended, so one cell object serves every row."""

    def __init__(self, sheet):
        self.sheet, self.made = sheet, {}

    def _cell(self, column, number_format, colour):
        key = (column, number_format, colour)
        cell = self.made.get(key)
        if cell is None:
            cell = self.made[key] = WriteOnlyCell(self.sheet)
            if colour:
                cell.fill = PatternFill("solid", fgColor=colour)
                cell.font = Font(bold=True, color="FFFFFF")
                cell.alignment = Alignment(horizontal="center")
            if number_format:
                cell.number_format = number_format
        return cell

    def put(self, values, column, number_format, colour=None):
        """Replace ``values[column - 1]`` by its styled cell holding it."""
        cell = self._cell(column, number_format, colour)
        value = cell.value = values[column - 1]
        if type(value) is str:
            cell.data_type = "s"
        elif isinstance(value, (datetime.date, datetime.time)) \
                and not is_date_format(number_format or "General"):
            cell.number_format = number_format or "General"   # openpyxl set a date format
        values[column - 1] = cell


def _string_cell(sheet, text, font=None):
    cell = WriteOnlyCell(sheet, text)
    if isinstance(text, str):
        cell.data_type = "s"
    if font:
        cell.font = font
    return cell


def _error_like_as_strings(sheet, values):
    """Text that reads like an error code (#N/A) as string cells, in place."""
    for i, value in enumerate(values):
        if type(value) is str and value in _ERROR_CODES:
            values[i] = _string_cell(sheet, value)


def _dimension(sheet, columns, rows):
    """The sheet's size written before its rows: readers trusting ``<dimension>`` read all."""
    ref = f"A1:{get_column_letter(max(columns, 1))}{max(rows, 1)}"
    sheet.calculate_dimension = lambda: ref


def _append_title(sheet, title, columns):
    cell = _string_cell(sheet, safe_value(title), Font(bold=True, size=12))
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = TITLE_HEIGHT
    if columns > 1:
        sheet.merged_cells.add(f"A1:{get_column_letter(columns)}1")
    sheet.append([cell])


def _append_header(sheet, header):
    cells = []
    for title in header:
        cell = _string_cell(sheet, title, Font(bold=True))
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cells.append(cell)
    sheet.append(cells)


def write_table(book, name, title, header, rows, formats=None, freeze="A3", progress=None):
    """Stream sheet ``name`` into the write-only ``book``: ``title`` in row 1 (bold,
    merged over the header), the bold ``header`` in row 2 with an auto-filter down to the
    last row, then ``rows`` (lists of values, or :class:`Row`) with ``formats`` ({column:
    number format}); panes frozen at ``freeze``; each column as wide as its widest cell
    from the header on. Every value goes through :func:`safe_value`. Returns the number
    of rows.

    ``rows`` is iterated once; the rows wait in a temporary file while the widths are
    measured (written before the first row). ``progress(steps)``: told every PROGRESS_EVERY
    rows the steps done of 2 x rows (each row is read, then written)."""
    formats = formats or {}
    header = [safe_value(v) for v in header]
    widths = _Widths()
    widths.add(header, {})
    columns, count = len(header), 0
    with _Spill() as spill:
        for row in rows:
            values, own, status = row if isinstance(row, Row) else (row, None, None)
            row_formats = formats if own is None else own
            values = [safe_text(v) if isinstance(v, str) else v for v in values]
            if row_formats and len(values) < max(row_formats):
                values += [None] * (max(row_formats) - len(values))
            widths.add(values, row_formats)
            columns = max(columns, len(values))
            spill.add((values, own, status))
            count += 1
            _report(progress, count, count)
        sheet = book.create_sheet(name)
        _dimension(sheet, columns, count + 2)
        widths.apply(sheet)
        sheet.freeze_panes = freeze
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(header))}{count + 2}"
        _append_title(sheet, title, len(header))
        _append_header(sheet, header)
        cells = _Cells(sheet)
        for written, (values, own, status) in enumerate(spill, start=1):
            row_formats = formats if own is None else own
            error_like = not _ERROR_CODES.isdisjoint(values)
            for column, number_format in row_formats.items():
                cells.put(values, column, number_format)
            colour = status and P.STATUS_COLOURS.get(status[1])
            if colour:
                cells.put(values, status[0], row_formats.get(status[0]), colour)
            if error_like:
                _error_like_as_strings(sheet, values)
            sheet.append(values)
            _report(progress, written, count + written)
    _report(progress, 0, 2 * count)
    return count


def _report(progress, rows, steps):   # every PROGRESS_EVERY rows, and at the end
    if progress and not rows % PROGRESS_EVERY:
        progress(steps)


def write_rows(book, name, rows, bold=(), freeze=None):
    """Sheet ``name`` of the write-only ``book`` holding ``rows`` (lists of values, each
    through :func:`safe_value`) as they are, rows numbered in ``bold`` bold, panes frozen."""
    sheet = book.create_sheet(name)
    _dimension(sheet, max(map(len, rows), default=1), len(rows))
    if freeze:
        sheet.freeze_panes = freeze
    for number, values in enumerate(rows, start=1):
        values = [safe_value(v) for v in values]
        if number in bold:
            values = [_string_cell(sheet, v, Font(bold=True)) for v in values]
        else:
            _error_like_as_strings(sheet, values)
        sheet.append(values)
    return sheet


def export_time(now=None):
    """``now`` (default: the current time) as local text, with the zone named."""
    now = (now or clock.now()).astimezone(clock.zone())
    zone = "北京时间" if getattr(now.tzinfo, "key", "") == "Asia/Shanghai" else str(now.tzinfo)
    return f"{now:%Y-%m-%d %H:%M}（{zone}）"


# --- the file ---------------------------------------------------------------------------

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
