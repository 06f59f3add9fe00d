"""The .xlsx export of a filtered project ledger, and the cell rules every workbook the app
writes follows (OWASP "CSV injection"): a text cell is always a string, never a formula —
text starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` — and the
control characters openpyxl refuses are removed, so an old row holding one still exports.
Numbers and dates stay real numbers and dates."""
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from ..domain import pipeline
from ..models import Project

# First characters a spreadsheet reads as the start of a formula (or DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def workbook_bytes(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPORT_COLUMNS = (
    ("项目名称", lambda p: p.name),
    ("所属专班", lambda p: p.task_force.name),
    ("区县/开发区", lambda p: p.county.name if p.county_id else ""),
    ("投资方", lambda p: p.investor),
    ("投资方来源地", lambda p: p.investor_region),
    ("内外资", lambda p: Project.CAPITAL_TYPES.get(p.capital_type, p.capital_type)),
    ("产业", lambda p: p.industry),
    ("企业标签", lambda p: "、".join(p.tag_list)),
    ("计划投资额（万元）", lambda p: float(p.planned_investment or 0)),
    ("签约额（万元）", lambda p: float(p.contract_value) if p.contract_value is not None else None),
    ("签约等级", lambda p: pipeline.SIGNING_GRADES.get(p.signing_grade or "", "")),
    ("当前阶段", lambda p: pipeline.label(p.stage)),
    ("策划包装日期", lambda p: p.packaged_on),
    ("洽谈日期", lambda p: p.negotiating_on),
    ("签约日期", lambda p: p.signed_on),
    ("开工日期", lambda p: p.started_on),
    ("投产日期", lambda p: p.producing_on),
    ("达产日期", lambda p: p.at_capacity_on),
    ("最近进展日期", lambda p: p.last_progress_on),
    ("退库原因", lambda p: p.drop_reason),
    ("联系人", lambda p: p.contact),
    ("下一步工作", lambda p: p.next_step),
    ("存在问题", lambda p: p.problems),
)


def _format_columns(sheet):
    for index, (title, _) in enumerate(EXPORT_COLUMNS, start=1):
        column = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[column].width = max(12, len(title) * 2 + 2)
        if "万元" in title:
            for cell in sheet[column][1:]:
                cell.number_format = "#,##0.00"
        elif "日期" in title:
            for cell in sheet[column][1:]:
                cell.number_format = "yyyy-mm-dd"


def export_xlsx(query):
    """The projects of ``query`` as an .xlsx workbook (bytes)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "项目台账"
    append_row(sheet, [title for title, _ in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for project in query:
        append_row(sheet, [get(project) for _, get in EXPORT_COLUMNS])
    _format_columns(sheet)
    sheet.freeze_panes = "B2"
    return workbook_bytes(book)
