"""What the 通报's page, its print and its .docx lay out alike (GB/T 9704-2012 as city offices
use it): the optional 版头 (issuing unit in red, 文号) and the 落款 from the settings
(``letterhead_from(config)``: BULLETIN_*), the opening words, the ranking table's columns
(a metric no task force is judged on is left out) and the city table.
"""
from dataclasses import dataclass

from ...config import setting
from ...domain import metrics as M
from . import report as B
from .checkpoints import CHECKPOINTS
from .wording import cn_date

# Where a column heading breaks into two lines (a narrow column never wraps mid-word).
HEADER_LINES = {"综合完成率": ("综合", "完成率"), "超/欠进度": ("超/欠", "进度"),
                "完成率(%)": ("完成率", "(%)"), "年度目标": ("年度", "目标"),
                "累计完成": ("累计", "完成")}


@dataclass(frozen=True)
class Letterhead:
    issuer: str = "市商务局"       # 发文机关: the 落款 and the document's author
    masthead: str = ""            # 版头 (发文机关标志, red), e.g. "抚顺市商务局文件"; "" = none
    number_pattern: str = ""      # 文号, e.g. "抚商通〔{year}〕{number}号"; "" = none

    def number(self, b):
        """The 文号 of Bulletin ``b`` ("" when none): ``{year}`` its year, ``{number}`` the
        checkpoint's quarter (the year's n-th 通报). A pattern naming other fields is shown
        as written, never a 500."""
        if not self.number_pattern:
            return ""
        try:
            return self.number_pattern.format(year=b.year, number=b.quarter)
        except (KeyError, IndexError, ValueError, AttributeError):
            return self.number_pattern

    def signoff(self, b):
        """落款: (unit, date). GB/T 9704-2012 writes the 成文日期 in Arabic numerals, the
        year in full, month and day without a leading zero: 2026年12月8日."""
        return self.issuer, cn_date(b.today)


def letterhead_from(config):
    """Letterhead from BULLETIN_ISSUER, BULLETIN_MASTHEAD and BULLETIN_NUMBER_PATTERN."""
    return Letterhead(issuer=str(setting(config, "BULLETIN_ISSUER")).strip(),
                      masthead=str(setting(config, "BULLETIN_MASTHEAD")).strip(),
                      number_pattern=str(setting(config, "BULLETIN_NUMBER_PATTERN")).strip())


def opening(b):
    """The first paragraph: the 按语 as saved, else the usual words of a 通报."""
    return b.remarks or (f"现将{b.year}年{b.name}全市“6+N”重点产业招商专班工作进展情况"
                         f"通报如下。")


def signoff_indents(unit, date):
    """(unit, date) right indents in characters: the date 右空四字 and the unit centred over
    it (GB/T 9704-2012 7.3.5.1). A half-width digit counts half a character."""
    def width(text):
        return sum(0.5 if ch.isascii() else 1 for ch in text)
    return max(4 + (width(date) - width(unit)) / 2, 0), 4


# --- the ranking (二、专班排名) -----------------------------------------------------------

@dataclass(frozen=True)
class Column:
    field: str          # data-field of the page's cells: rank, name, score, completion:<key>...
    header: str         # its heading (under ``group`` for a metric's two columns)
    group: str = ""     # the metric's name over its two columns; "" for a single column
    numeric: bool = True

    @property
    def header_lines(self):
        return header_lines(self.header)


def header_lines(text):
    """A heading as the lines it is printed in."""
    return HEADER_LINES.get(text, (text,))


def ranking_columns(b):
    """The ranking table's columns: rank, team, 综合完成率, 完成率 and 超/欠进度 of each
    metric some task force is judged on (B.Bulletin.ranked_metrics), status."""
    cols = [Column("rank", "排名"), Column("name", "专班", numeric=False),
            Column("score", "综合完成率")]
    for key in b.ranked_metrics:
        cols += [Column(f"completion:{key}", "完成率", M.label(key)),
                 Column(f"gap_points:{key}", "超/欠进度", M.label(key))]
    return cols + [Column("status", "状态", numeric=False)]


def header_groups(columns):
    """[(text, first column index, span)] of the heading's top row: a metric's name over its
    two columns, each single column by itself (it spans both rows)."""
    out = []
    for i, col in enumerate(columns):
        text = col.group or col.header
        if col.group and out and out[-1][0] == col.group and out[-1][1] + out[-1][2] == i:
            out[-1] = (text, out[-1][1], out[-1][2] + 1)
        else:
            out.append((text, i, 1))
    return out


def cell(row, column):
    """The text of ``column`` for TeamLine ``row``."""
    name = column.field
    if name == "rank":
        return str(row.rank)
    if name == "name":
        return row.name
    if name == "score":
        return B.fmt_pct(row.score)
    if name == "status":
        return row.status_label
    what, key = name.split(":")
    f = row.figures[key]
    return B.fmt_pct(f.completion) if what == "completion" else B.fmt_points(f.gap_points)


def cell_status(row, column):
    """The colour a cell is marked with ("" for none)."""
    if column.field == "status":
        return row.status
    if ":" in column.field:
        return row.figures[column.field.split(":")[1]].status
    return ""


def ranking_rows(b, columns=None):
    columns = columns or ranking_columns(b)
    return [[cell(r, c) for c in columns] for r in b.rows]


def ranking_note(b):
    """The sentences above the ranking table (with the period's 招商活跃指数, when any)."""
    return (f"按综合完成率排名（{b.score_rule}）；超/欠进度 = 完成率 − 时序进度"
            f"（{B.fmt_pct(b.time_progress)}%）。完成率单位为%，超/欠进度单位为个百分点。{b.activity_text}")


# --- the city table (一、总体情况) --------------------------------------------------------

def totals_header(b):
    return ["指标", "单位", "年度目标", "累计完成", "完成率(%)", "超/欠进度", "状态",
            CHECKPOINTS[b.checkpoint][3]]


def totals_rows(b):
    """One row per metric."""
    return [[f.label, B.unit_shown(f.key), B.fmt_amount(f.key, f.target),
             B.fmt_amount(f.key, f.actual), B.fmt_pct(f.completion), B.fmt_points(f.gap_points),
             f.status_label, B.fmt_met(f.met)]
            for f in (b.totals[key] for key in M.KEYS)]
