"""Plausibility warnings of an import (issue 18) and the acknowledgment 确认导入 needs.

The rules are domain.import_checks; here they get their typical values: the median
计划投资额 of each task force's ledger (when it has at least MIN_LEDGER projects) and of the
file's own rows. A row that will be written (新增, or a duplicate that may be updated) lists
its warnings; the commit is refused unless the person ticked "我已核对以上提示"."""
from ...domain import closed_periods as closed_rule
from ...domain import import_checks as rules_checks
from ...domain import import_rules as rules
from ...domain.errors import ValidationError
from ...models import Project
from ..ledger import closed

ACKNOWLEDGE = "我已核对以上提示"
WRITTEN = ("new", "update")


def ledger_medians(team_ids):
    """{team id: median 计划投资额} of the task forces with enough projects."""
    amounts = {}
    ids = sorted(team_ids)
    for start in range(0, len(ids), 500):
        query = (Project.select(Project.task_force, Project.planned_investment)
                 .where(Project.task_force.in_(ids[start:start + 500])).tuples())
        for team_id, amount in query:
            amounts.setdefault(team_id, []).append(amount)
    return {team_id: rules_checks.median(values) for team_id, values in amounts.items()
            if len(values) >= rules_checks.MIN_LEDGER}


def warn(rows):
    """Set ``row.warnings`` of every row that will be written."""
    written = [r for r in rows if r.status in WRITTEN]
    in_file = rules_checks.median(r.fields.get("planned_investment") for r in written)
    ledger = ledger_medians({r.team.id for r in written if r.team is not None})
    for row in written:
        dates = dict(row.dates, expected_sign_date=row.fields.get("expected_sign_date"))
        typical = [("本专班台账", ledger.get(row.team.id) if row.team else None),
                   ("本文件", in_file)]
        row.warnings = rules_checks.row_warnings(row.name, row.fields, row.stage, dates,
                                                 typical, rules.LABELS)


def count(preview):
    return sum(len(r.warnings) for r in preview.rows if r.status in WRITTEN)


def refuse_unacknowledged(preview, acknowledged):
    """Raise ValidationError ({"acknowledge": message}) when the preview has warnings and
    the person did not acknowledge them."""
    found = len(preview.warnings)   # a Preview or a kept judged one (judged.StoredPage)
    if found and not acknowledged:
        raise ValidationError({"acknowledge": f"预览有 {found} 条提示，请逐条核对后勾选"
                                              f"“{ACKNOWLEDGE}”，再确认导入。"})


def closed_periods(user, rows):
    """The closed-period rule on every row that will be written (services.ledger.closed):
    a row whose dates (or, for a ledger project it corrects, the dates its amounts count
    on) lie in a closed quarter is, for a member or a lead, an error (a spreadsheet cannot
    file 更正申请: the project page does, one by one, or the bureau imports the file). The
    bureau's commit names the batch as the 补录原因 of every such write."""
    if user is None or user.sees_all:
        return
    for row in rows:
        if row.status not in WRITTEN:
            continue
        kind, day = closed.judge(user, _touched(row))
        if kind == closed_rule.REQUEST:
            row.errors.append(("", "日期", f"日期 {day.isoformat()} 在已结束的{closed_rule.quarter_name(day)}内："
                               "表格导入不能改动已结束季度的统计，请删去该行后导入，再在项目页提交更正申请，"
                               "或请商务局导入。"))
            row.status = "error"


def _touched(row):
    days = [day for _, day in row.events]
    if row.status == "update":
        days = [row.events[-1][1]] if "stage" in row.changes and row.events else []
        project = row.duplicate_of
        for name, reached in closed.REACHED_ON.items():
            if name in row.changes:
                days.append(getattr(project, reached))
    return days
