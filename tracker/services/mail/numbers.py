"""The figures a summary reported (the JSON stored with its body), as small tables for
the outbox's message page: staff read words and numbers, never raw JSON."""
import json
from dataclasses import dataclass

from ...domain import metrics as M
from ...domain import progress as P
from ...domain import staleness as S

CHANGE_LABELS = {
    "new_projects": "新增项目（个）", "advances": "阶段推进（次）", "signed": "新签约（个）",
    "signed_value": "新签约额（万元）", "started": "新开工（个）", "dropped": "退库（个）",
    "funds": "到位资金（万元）",
}
METRIC_HEAD = ("指标", "年度目标", "累计完成", "完成率（%）", "时序进度（%）", "超/欠进度（点）",
               "状态")
FACT_LABELS = {"week": "周", "as_of": "统计截至", "task_force": "专班代码", "rank": "排名",
               "score": "综合得分", "status": "总体状态", "at_risk": "未达节点的风险指标（个）",
               "supervision_overdue": "督办逾期（项）"}


@dataclass(frozen=True)
class Table:
    title: str
    head: tuple          # column titles, () for a two-column list of (name, value)
    rows: list           # [tuple of cells]


def _text(value):
    if value is None or value == "":
        return "—"
    return str(value)


def _status(value):
    return P.STATUS_LABELS.get(value, _text(value))


def _metrics(title, metrics):
    rows = []
    for key in [k for k in M.KEYS if k in metrics] + [k for k in metrics if k not in M.KEYS]:
        m = metrics[key] if isinstance(metrics[key], dict) else {}
        rows.append((f"{M.label(key)}（{M.unit(key)}）" if M.unit(key) else M.label(key),
                     _text(m.get("target")), _text(m.get("actual")), _text(m.get("completion")),
                     _text(m.get("time_progress")), _text(m.get("gap_points")),
                     _status(m.get("status"))))
    return Table(title, METRIC_HEAD, rows)


def _facts(numbers):
    rows = [(label, _status(numbers[key]) if key == "status" else _text(numbers[key]))
            for key, label in FACT_LABELS.items() if key in numbers]
    stale = numbers.get("stale")
    if isinstance(stale, dict):
        rows += [(f"久未推进 · {S.LABELS.get(level, level)}（个）", _text(n))
                 for level, n in stale.items()]
    elif stale is not None:
        rows.append(("久未推进的项目（个）", _text(stale)))
    return Table("概况", (), rows)


def _ranking(ranking):
    rows = [(_text(r[1]), _text(r[0]), _text(r[2]), _status(r[3]))
            for r in ranking if isinstance(r, (list, tuple)) and len(r) >= 4]
    return Table("专班排名", ("排名", "专班代码", "综合得分", "状态"), rows)


def number_tables(raw):
    """[Table] of a stored numbers JSON; a text that is not a JSON object gives one
    table with the text as it is."""
    try:
        numbers = json.loads(raw or "{}")
    except ValueError:
        numbers = None
    if not isinstance(numbers, dict):
        return [Table("报告的数字", (), [("内容", _text(raw))])]
    tables = [_facts(numbers)]
    for key, title in (("metrics", "本专班指标"), ("totals", "全市合计")):
        if isinstance(numbers.get(key), dict):
            tables.append(_metrics(title, numbers[key]))
    changes = numbers.get("changes")
    if isinstance(changes, dict):
        keys = [k for k in CHANGE_LABELS if k in changes] + \
            [k for k in changes if k not in CHANGE_LABELS]
        tables.append(Table("本周变化", (), [(CHANGE_LABELS.get(k, k), _text(changes[k]))
                                              for k in keys]))
    if isinstance(numbers.get("ranking"), list) and numbers["ranking"]:
        tables.append(_ranking(numbers["ranking"]))
    return [t for t in tables if t.rows]
