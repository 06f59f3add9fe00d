"""The .xlsx progress report of a year judged at an as-of date: the dashboard's numbers
(services.progress.report.build_report), ready to hand on.

Sheet 进度汇总: one row per task force × metric (ranked as on the dashboard), then the city
totals: target, actual, completion, time progress, 超/欠进度, status (filled with the
dashboard's colour), the milestones, the year-end forecast and the rank.
One sheet per metric: each task force by quarter. A closed quarter shows its frozen
snapshot (services.progress.snapshots) when it has one — the numbers as they were judged at the
close, never recomputed — else the ledger's numbers, marked as not frozen; the open
quarter shows the numbers at the as-of date; a later quarter only its targets.

Money is in 亿元 (the dashboard's unit; stored in 万元), counts in 个; percentages are real
percentages (0.55 shown as 55.00%), gaps are points. Cells and layout are services.xlsx's
(a write-only workbook, rows streamed).
"""
from decimal import Decimal

from ... import clock
from ...domain import metrics as M
from ...domain import milestones as MS
from ...domain import periods
from ...domain import progress as P
from ...domain.errors import ValidationError
from ...domain.money import WAN_PER_YI
from . import report as progress, snapshots
from .. import xlsx
from ..xlsx import Row, XlsxFile, export_time

MILESTONE_KEYS = ("kaimenhong", "shuangguoban", "q3", "full_year")
SUMMARY_HEADER = (
    "排名", "专班编号", "专班", "综合完成率", "指标", "单位", "年度目标", "完成", "完成率",
    "时序进度", "超/欠进度（百分点）", "状态",
) + tuple(MS.NAMES[k] for k in MILESTONE_KEYS) + ("年末预测", "预测完成率", "目标版本")
STATUS_COLUMN = SUMMARY_HEADER.index("状态") + 1

QUARTER_HEADER = (
    "专班编号", "专班", "季度", "数据来源", "年度目标", "目标版本", "累计节点目标", "追赶目标",
    "当季完成", "累计完成", "完成率", "时序进度", "超/欠进度（百分点）", "状态",
)
QUARTER_STATUS_COLUMN = QUARTER_HEADER.index("状态") + 1
CITY = "全市合计"


def unit(metric):
    """The unit a metric is shown in: 亿元 for money, 个 for counts."""
    return "亿元" if metric.is_money else "个"


def amount(metric, value):
    """A stored amount (万元, or a count) as the number shown: 亿元 for money."""
    if value is None:
        return None
    value = Decimal(value)
    return float(value / WAN_PER_YI) if metric.is_money else float(value)


def percent(value):
    """Percent (55.00) -> the spreadsheet's fraction (0.55), shown as 55.00%."""
    return None if value is None else float(Decimal(value) / 100)


def points(value):
    return None if value is None else float(value)


def _money_formats(metric, count_format=xlsx.COUNT):
    return xlsx.MONEY if metric.is_money else count_format


# --- 进度汇总 ---------------------------------------------------------------------------

def milestone_text(flags, key):
    """已实现 / 提前实现 / 未实现 / 待考核 (None without a target)."""
    flag = flags[key]
    if flag is None:
        return None
    if flag is True:
        return "提前实现" if key == "shuangguoban" and flags["shuangguoban_early"] else "已实现"
    return "未实现" if flag is False else "待考核"


def _summary_values(rank, code, name, score, m):
    metric = M.get(m.key)
    flags = m.milestones.as_dict()
    return [rank, code, name, percent(score), m.label, unit(metric), amount(metric, m.target),
            amount(metric, m.actual), percent(m.completion), percent(m.time_progress),
            points(m.gap_points), m.status_label] \
        + [milestone_text(flags, k) for k in MILESTONE_KEYS] \
        + [amount(metric, m.forecast), percent(m.forecast_completion),
           m.target_version or None]


def _summary_formats(metric):
    columns = {name: i for i, name in enumerate(SUMMARY_HEADER, start=1)}
    formats = {columns[n]: xlsx.PERCENT for n in ("综合完成率", "完成率", "时序进度", "预测完成率")}
    formats.update({columns["年度目标"]: _money_formats(metric),
                    columns["完成"]: _money_formats(metric),
                    columns["超/欠进度（百分点）"]: xlsx.POINTS,
                    columns["年末预测"]: _money_formats(metric, xlsx.DECIMAL_1)})
    return formats


def _summary_row(values, m):
    return Row(values, _summary_formats(M.get(m.key)), (STATUS_COLUMN, m.status))


def _report_title(report, what):
    precision = "按月" if report.precision == "month" else "按日"
    return (f"{report.year} 年招商专班{what}（统计截至 {report.as_of.isoformat()}，"
            f"时序进度 {report.time_progress}%，{precision}）")


def _summary_rows(report):
    for team in report.rows:
        for key in M.KEYS:
            m = team.metrics[key]
            yield _summary_row(_summary_values(team.rank, team.code, team.name, team.score, m), m)
    for key in M.KEYS:
        m = report.totals[key]
        yield _summary_row(_summary_values(None, "", CITY, None, m), m)


def summary_sheet(book, report, now):
    xlsx.write_table(book, "进度汇总",
                     f"{_report_title(report, '进度汇总')}　金额单位：亿元；"
                     f"洽谈项目单位：个　导出时间：{export_time(now)}",
                     SUMMARY_HEADER, _summary_rows(report), freeze="D3")


# --- one sheet per metric, by quarter ----------------------------------------------------

def _frozen_values(metric, snap):
    frozen_on = clock.to_local(snap.frozen_at).date().isoformat() if snap.frozen_at else ""
    return ([f"冻结快照（{frozen_on} 冻结）", amount(metric, snap.target),
             snap.target_version or None, amount(metric, snap.checkpoint_target),
             amount(metric, snap.catch_up_target), amount(metric, snap.quarter_actual),
             amount(metric, snap.cumulative_actual), percent(snap.completion),
             percent(snap.time_progress), points(snap.gap_points),
             P.STATUS_LABELS.get(snap.status, snap.status)], snap.status)


def _live_values(metric, m, qp, year, as_of):
    head = [amount(metric, m.target), m.target_version or None,
            amount(metric, qp.checkpoint), amount(metric, qp.catch_up)]
    start = periods.quarter_start(year, qp.quarter)
    if as_of < start:
        return ["未开始"] + head + [None] * 6, None
    source = "已结束（未冻结，按当前台账）" if qp.closed else f"进行中（截至 {as_of.isoformat()}）"
    return ([source] + head + [amount(metric, qp.actual), amount(metric, qp.cumulative),
                               percent(qp.completion), percent(qp.time_progress),
                               points(qp.gap_points), P.STATUS_LABELS[qp.status]], qp.status)


def _quarter_formats(metric):
    columns = {name: i for i, name in enumerate(QUARTER_HEADER, start=1)}
    formats = {columns[n]: _money_formats(metric) for n in ("年度目标", "当季完成", "累计完成")}
    formats.update({columns[n]: xlsx.MONEY for n in ("累计节点目标", "追赶目标")})
    formats.update({columns[n]: xlsx.PERCENT for n in ("完成率", "时序进度")})
    formats[columns["超/欠进度（百分点）"]] = xlsx.POINTS
    return formats


def _quarter_rows(report, key, frozen):
    metric = M.get(key)
    for team in sorted(report.rows, key=lambda r: r.code):
        m = team.metrics[key]
        for qp in m.quarters:
            snap = frozen.get((team.task_force_id, key, qp.quarter)) if qp.closed else None
            values, status = _frozen_values(metric, snap) if snap else \
                _live_values(metric, m, qp, report.year, report.as_of)
            yield Row([team.code, team.name, qp.key] + values,
                      status=(QUARTER_STATUS_COLUMN, status) if status else None)


def quarter_sheet(book, report, key, frozen):
    """Sheet of metric ``key``: each task force (by code) × quarter; ``frozen`` is
    services.progress.snapshots.snapshots() of the year."""
    metric = M.get(key)
    xlsx.write_table(book, metric.label,
                     f"{metric.label}（{unit(metric)}）· "
                     f"{_report_title(report, '分季度进度')}　已结束的季度取季末冻结快照",
                     QUARTER_HEADER, _quarter_rows(report, key, frozen),
                     _quarter_formats(metric), freeze="D3")


# --- the file ---------------------------------------------------------------------------

def export_progress(year, as_of, now=None, options=None):
    """The progress report of ``year`` at ``as_of`` as an :class:`XlsxFile` named like
    ``招商专班进度_2026年_截至20260630.xlsx``."""
    now = (now or clock.now()).astimezone(clock.zone())
    report = progress.build_report(year, as_of, options)
    frozen = snapshots.snapshots(report.year, [r.task_force_id for r in report.rows])
    book = xlsx.new_book()
    summary_sheet(book, report, now)
    for key in M.KEYS:
        quarter_sheet(book, report, key, frozen)
    day = as_of.strftime("%Y%m%d")
    return XlsxFile(xlsx.workbook_bytes(book), f"招商专班进度_{report.year}年_截至{day}.xlsx",
                    f"progress_{report.year}_{day}.xlsx", len(report.rows))


def default_as_of(year, today=None):
    """The as-of date of ``year`` when none is given (as on the dashboard): today in the
    current year, 31 December of a past year, 1 January of a future one."""
    today = today or clock.today()
    if year == today.year:
        return today
    return periods.year_end(year) if year < today.year else periods.quarter_start(year, 1)


def parse_period(year, as_of=None):
    """(year, as_of) from command-line text; ValidationError naming the bad option."""
    year = periods.check_year(year, "year")
    if as_of is None or not str(as_of).strip():
        return year, default_as_of(year)
    day = periods.check_date(as_of, "as_of")
    if day.year < year:
        raise ValidationError({"as_of": f"统计日期 {day.isoformat()} 早于所选年份 {year} 年。"})
    return year, day
