"""The 督办 list as .xlsx, with the list page's filters and what the person may read (streamed by
services.xlsx: a title row, a filtered header, text never a formula). At most MAX_ROWS rows."""
from ... import clock
from ...domain import supervision as rules
from .. import xlsx
from . import listing

MAX_ROWS = 20000
HEADER = ["编号", "标题", "责任专班", "项目", "责任人", "办理期限", "逾期天数", "优先级", "状态", "问题描述",
          "领导批示", "批示领导", "批示日期", "交办人", "交办时间", "最近反馈时间", "办结时间"]


def _when(value):
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _rows(query, today):
    batch = []
    for item in query.iterator():
        batch.append(item)
        if len(batch) == 500:
            yield from _shown(batch, today)
            batch = []
    yield from _shown(batch, today)


def _shown(batch, today):
    openers = listing.user_names(i.opened_by_id for i in batch)
    for i in batch:
        yield [i.id, i.title, i.task_force.name, i.project.name if i.project_id else "",
               str(i.responsible_user) if i.responsible_id else "", i.deadline,
               rules.days_overdue(i.state, i.deadline, today) or None, rules.priority_label(i.priority),
               rules.state_label(i.state), i.problem, i.instruction, i.instruction_by, i.instruction_on,
               openers.get(i.opened_by_id, ""), _when(i.opened_at), _when(i.last_reply_at), _when(i.closed_at)]


def scope_name(filters, team_name=None, sees_all=True):
    """The words a file name and title give the export's scope: the team, the state, 逾期 or
    本周到期 (全部 / 本专班 without any)."""
    parts = [team_name] if team_name else []
    if filters.state in rules.STATES:
        parts.append(rules.state_label(filters.state))
    if filters.priority in rules.PRIORITIES:
        parts.append(rules.priority_label(filters.priority))
    if filters.overdue:
        parts.append("逾期")
    if filters.this_week:
        parts.append("本周到期")
    return "_".join(parts) or ("全部" if sees_all else "本专班")


def export(user, filters, scope="全部"):
    """An XlsxFile of the items ``user`` may read under ``filters`` (listing.Filters)."""
    today = clock.today()
    query = listing.filtered(user, filters, today).limit(MAX_ROWS)
    book = xlsx.new_book()
    now = clock.now()
    title = f"督办事项（{scope}）导出于 {xlsx.export_time(now)}"
    count = xlsx.write_table(book, "督办事项", title, HEADER, _rows(query, today),
                             formats={6: xlsx.DATE, 7: xlsx.COUNT, 13: xlsx.DATE})
    stamp = f"{clock.to_local(now):%Y%m%d}"
    name = f"督办事项_{xlsx.file_part(scope)}_{stamp}.xlsx"
    return xlsx.XlsxFile(xlsx.workbook_bytes(book), name, f"supervision_{stamp}.xlsx", rows=count)
