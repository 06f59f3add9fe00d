"""The follow-up log as .xlsx, with the list page's filters (streamed by services.xlsx: a
title row, a filtered header, text never a formula). At most MAX_ROWS rows in a request."""
from ... import clock
from ...domain import activities as rules
from .. import xlsx
from . import listing

MAX_ROWS = 20000
HEADER = ["日期", "专班", "跟进方式", "对接企业", "对方标签", "目标区域", "地点", "市领导带队", "涉及项目",
          "跟进内容", "成效", "下一步", "下一步日期", "记录人"]


def _rows(query):
    batch = []
    for activity in query.iterator():
        batch.append(activity)
        if len(batch) == 500:
            yield from _shown(batch)
            batch = []
    yield from _shown(batch)


def _shown(batch):
    linked = listing.projects_of(a.id for a in batch)
    for a in batch:
        names = "、".join(p.name for p in linked.get(a.id, []))
        yield [a.occurred_on, a.task_force.name, rules.kind_label(a.kind), a.counterpart, "、".join(a.tag_list),
               a.region, a.place, a.leader_title if a.leader_led else "", names,
               a.summary, rules.outcome_label(a.outcome), a.next_step, a.next_step_on,
               str(a.user) if a.user_id else ""]


def export(user, filters, scope_name="全部"):
    """An XlsxFile of what ``user`` may read under ``filters``."""
    query = listing.filtered(user, filters).limit(MAX_ROWS)
    book = xlsx.new_book()
    now = clock.now()
    title = f"招商跟进记录（{scope_name}）导出于 {xlsx.export_time(now)}"
    count = xlsx.write_table(book, "跟进记录", title, HEADER, _rows(query),
                             formats={1: xlsx.DATE, 13: xlsx.DATE})
    stamp = f"{clock.to_local(now):%Y%m%d}"
    name = f"招商跟进记录_{xlsx.file_part(scope_name)}_{stamp}.xlsx"
    return xlsx.XlsxFile(xlsx.workbook_bytes(book), name, f"activities_{stamp}.xlsx", rows=count)
