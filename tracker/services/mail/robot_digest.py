"""The week's figures, as the mails report them (data.WeekData), handed to the group robots
as short digests (services.robots.digest): one per task force that has a robot, and the
city's for the bureau's robots. Called by summaries.build_week; building again adds nothing
(the robots' key is the week)."""
from ...domain import metrics as M
from ...domain import money
from ..robots import digest as robot_digest

CITY = "全市"


def _line(metric, is_money):
    def value(v):
        if v is None:
            return ""
        return money.fmt_yi(v) if is_money else str(int(v))
    return robot_digest.Line(
        metric.label, value(metric.actual) or "0", value(metric.target), "亿元" if is_money else "个",
        f"{metric.completion}%" if metric.completion is not None else "", metric.status_label)


def _lines(metrics):
    return tuple(_line(metrics[key], M.get(key).is_money) for key in M.KEYS if key in metrics)


def digests(data):
    """[robot_digest.Digest] of the week for the scopes that have a live robot."""
    scopes = robot_digest.scopes_with_robots()
    if not scopes:
        return []
    week, out = data.week.key, []
    if None in scopes:
        notes = [f"时序进度 {data.report.time_progress}%"]
        if data.overdue_city.count:
            notes.append(f"督办逾期 {data.overdue_city.count} 项")
        out.append(robot_digest.Digest(None, CITY, week, _lines(data.report.totals), tuple(notes),
                                       data.links.get("dashboard", "")))
    for row in data.report.rows:
        if row.task_force_id not in scopes:
            continue
        notes = []
        if row.rank:
            notes.append(f"综合完成率 {row.score}%，全市排名第 {row.rank}")
        overdue = data.overdue.get(row.task_force_id)
        if overdue is not None and overdue.count:
            notes.append(f"督办逾期 {overdue.count} 项")
        out.append(robot_digest.Digest(row.task_force_id, row.name, week, _lines(row.metrics), tuple(notes),
                                       data.url("taskforces.detail", code=row.code)))
    return out


def enqueue_week(data):
    """Queue the week's digests for the robots; the number of messages created."""
    return robot_digest.enqueue_week(digests(data))
