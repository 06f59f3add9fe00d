"""通报 (progress bulletin) of the commerce bureau at a checkpoint of the year.

``build_bulletin(year, checkpoint, today=None, options=None, stale=None) -> Bulletin`` gathers the numbers of the
city's usual four sections: 一、总体情况 (city totals vs targets, time progress, how many
task forces reached the checkpoint's milestone), 二、专班排名 (completion and 超/欠进度 per
metric), 三、红黄预警 (task forces in a colour of domain.progress.WARNING_STATUSES, open
建议退库 projects), 四、下步要求 (what the bureau saved for the pair, services.bulletin.notes,
else a placeholder), and its optional 按语.

Checkpoints: ``q1`` 一季度开门红, ``h1`` 上半年双过半, ``q3`` 前三季度, ``year`` 全年, each at
the end of its quarter. When that quarter has frozen snapshots (services.progress.snapshots) the
bulletin shows them as frozen, never recomputed; otherwise it shows the live progress
report (services.progress.report.build_report) as of today (at most the quarter's last day).
The web page (tracker/web/bulletin) and the .docx writer (services.bulletin.word) print
the same values through the ``fmt_*`` helpers below.
"""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from ... import clock
from ...domain import metrics as M
from ...domain import periods
from ...domain import progress as P
from ...domain import staleness as S
from ...domain import activity_index as index_rules
from ...models import TaskForce
from ..activities import index as activity_index
from ..progress import report as progress, snapshots
from ..progress.options import ProgressOptions
from ..staleness import flags as stale_service
from ..staleness.flags import StaleOptions
from ..supervision import overdue as supervision_overdue
from .. import memo
from . import notes
from .checkpoints import CHECKPOINTS

SECTIONS = ("一、总体情况", "二、专班排名", "三、红黄预警", "四、下步要求")
NEXT_STEPS_PLACEHOLDER = ("【请办公室填写下步工作要求：针对欠进度专班提出具体措施和时间节点，"
                          "对建议退库项目逐一核实，确保完成下一阶段目标任务。】")
DASH = "—"
# Worst first: how a task force's colour (its worst metric) is chosen, as services.progress.report does.
STATUS_ORDER = P.STATUS_ORDER


@dataclass(frozen=True)
class Figure:
    """One metric of one task force or of the city at the checkpoint."""
    key: str
    target: Decimal | None
    actual: Decimal
    completion: Decimal | None
    gap_points: Decimal | None
    status: str
    met: bool | None        # the checkpoint's milestone reached (None: no target)

    @property
    def label(self):
        return M.label(self.key)

    @property
    def unit(self):
        return M.unit(self.key)

    @property
    def status_label(self):
        return P.STATUS_LABELS.get(self.status, "")


@dataclass(frozen=True)
class TeamLine:
    code: str
    name: str
    kind: str
    rank: int
    score: Decimal | None     # 综合完成率: mean completion over the metrics with a target
    status: str              # worst colour over the metrics with a target
    figures: dict            # metric key -> Figure
    propose_drop: int = 0    # open 建议退库 flags of its projects

    @property
    def status_label(self):
        return P.STATUS_LABELS.get(self.status, "")

    @property
    def behind(self):
        """Figures in a colour of WARNING_STATUSES (红黄预警), worst first."""
        return sorted((f for f in self.figures.values() if f.status in P.WARNING_STATUSES),
                      key=lambda f: (STATUS_ORDER[f.status], f.gap_points))

    @property
    def reached(self):
        """Every metric with a target met the checkpoint (None without any target)."""
        flags = [f.met for f in self.figures.values() if f.met is not None]
        return all(flags) if flags else None


@dataclass(frozen=True)
class Bulletin:
    year: int
    checkpoint: str
    as_of: datetime.date             # the day the numbers are judged at
    frozen: bool                     # from the quarter's frozen snapshots
    frozen_at: datetime.datetime | None   # naive UTC (frozen only)
    today: datetime.date
    time_progress: Decimal
    totals: dict                     # metric key -> Figure (the city)
    rows: tuple                      # TeamLine, ranked
    propose_drop: int                # open 建议退库 flags in the city
    propose_drop_days: int
    ranking_cap: Decimal = P.DEFAULT_RANKING_CAP
    note: notes.Note | None = None   # the bureau's 下步要求 and 按语, when saved
    activity: tuple = ()             # 招商活跃指数 of the period: (name, score, activities), best first
    overdue: supervision_overdue.Overdue = supervision_overdue.Overdue()   # 督办逾期 at as_of
    sections: tuple = field(default=SECTIONS)

    @property
    def next_steps(self):
        """四、下步要求 as saved, else the placeholder the office replaces."""
        return (self.note.requirements if self.note else "") or NEXT_STEPS_PLACEHOLDER

    @property
    def has_next_steps(self):
        return bool(self.note and self.note.requirements)

    @property
    def remarks(self):
        """The 按语 as saved ("" when none)."""
        return self.note.remarks if self.note else ""

    @property
    def activity_text(self):
        """二、专班排名's sentence on the 招商活跃指数 of the period ("" without activities)."""
        if not self.activity:
            return ""
        top = "、".join(f"{name}{score}" for name, score, _done in self.activity[:3])
        idle = [name for name, _score, done in self.activity if not done]
        text = f"招商活跃指数（今年累计）前三：{top}。"
        return text + (f"无跟进记录：{'、'.join(idle)}。" if idle else "")

    @property
    def score_rule(self):
        """How 综合完成率 is made, as the ranking section says it."""
        return P.SCORE_FORMULA.format(cap=f"{Decimal(self.ranking_cap):g}")

    @property
    def ranked_metrics(self):
        """The metrics the ranking shows: those with a completion or a gap for some task
        force (a metric no task force has a target for gives two columns of "—" only)."""
        return tuple(k for k in M.KEYS if any(r.figures[k].completion is not None
                                              or r.figures[k].gap_points is not None
                                              for r in self.rows))

    @property
    def quarter(self):
        return CHECKPOINTS[self.checkpoint][0]

    @property
    def name(self):
        return CHECKPOINTS[self.checkpoint][1]

    @property
    def title(self):
        return f"{self.year}年{self.name}通报"

    @property
    def filename(self):
        return f"{self.title}.docx"

    @property
    def reached_text(self):
        return CHECKPOINTS[self.checkpoint][3]

    @property
    def source_note(self):
        """Where the numbers come from, as the page and the document say it."""
        if self.frozen:
            return f"数据截至 {self.as_of.isoformat()}（季度冻结数据）"
        why = "季度尚未结束" if self.as_of >= self.today else "该季度尚未冻结"
        return f"数据截至 {self.as_of.isoformat()}（实时数据，{why}，按当日台账实时计算）"

    @property
    def metric_keys(self):
        return M.KEYS

    def reached_counts(self):
        """{metric key: (task forces that met the milestone, task forces with a target)}."""
        out = {}
        for key in M.KEYS:
            flags = [r.figures[key].met for r in self.rows if r.figures[key].met is not None]
            out[key] = (sum(1 for f in flags if f), len(flags))
        return out

    def reached_teams(self):
        """(task forces meeting the milestone on every metric with a target, judged ones)."""
        judged = [r.reached for r in self.rows if r.reached is not None]
        return sum(1 for r in judged if r), len(judged)

    def status_counts(self):
        """[(status, label, task forces)] for the four judged colours, best first."""
        return [(s, P.STATUS_LABELS[s], sum(1 for r in self.rows if r.status == s))
                for s in (P.GREEN, P.YELLOW, P.ORANGE, P.RED)]

    def warned(self, status):
        """Task forces whose worst colour is ``status`` (one of WARNING_STATUSES), by rank."""
        return [r for r in self.rows if r.status == status]


# --- formatting shared by the page and the .docx ------------------------------------------

def fmt_amount(key, value):
    """A metric amount as shown: money in 亿元 ('55.00'), a count as an integer."""
    if value is None:
        return DASH
    if M.unit(key) == "个":
        return f"{int(Decimal(value))}"
    return f"{Decimal(value) / 10000:,.2f}"


def unit_shown(key):
    return "个" if M.unit(key) == "个" else "亿元"


def fmt_pct(value):
    return DASH if value is None else f"{Decimal(value):.2f}"


def fmt_points(value):
    return DASH if value is None else f"{Decimal(value):+.2f}"


def fmt_met(flag):
    return {True: "是", False: "否"}.get(flag, DASH)


# --- building ---------------------------------------------------------------------------

def checkpoint_date(year, checkpoint):
    return periods.quarter_end(year, CHECKPOINTS[checkpoint][0])


def default_checkpoint(year, today):
    """The checkpoint of the last quarter ended before ``today`` in ``year`` (q1 while the
    first quarter runs or for a future year; ``year`` for a past year)."""
    if year < today.year:
        return "year"
    if year > today.year:
        return "q1"
    ended = periods.quarter_of(today) - 1
    return next((k for k, v in CHECKPOINTS.items() if v[0] == max(ended, 1)), "q1")


def build_bulletin(year, checkpoint, today=None, options=None, stale=None, activity_weights=None):
    """The Bulletin of ``year`` at ``checkpoint`` (a key of CHECKPOINTS), judged with
    ``options`` (progress ProgressOptions), ``stale`` (StaleOptions: the 建议退库 days) and
    ``activity_weights`` (the 招商活跃指数's); the defaults when left out."""
    if checkpoint not in CHECKPOINTS:
        raise ValueError(f"unknown checkpoint {checkpoint!r}")
    options = options or ProgressOptions()
    stale = stale or StaleOptions()
    today = today or clock.today()
    weights = sorted((activity_weights or index_rules.DEFAULT_WEIGHTS).items())
    key = (year, checkpoint, today, memo.options_key(options), repr(stale.thresholds), repr(weights))
    # remembered per data version (services.memo): every write it reads moves the version --
    # the ledger, targets, snapshots, stale flags, notes (notes.save_note) and 督办 items
    return memo.remembered("bulletin", key, lambda: _build(year, checkpoint, today, options, stale,
                                                           activity_weights))


def _build(year, checkpoint, today, options, stale, activity_weights):
    quarter, _name, flag, _text = CHECKPOINTS[checkpoint]
    figures = snapshots.frozen_figures(year, quarter) if checkpoint_date(
        year, checkpoint) < today else []
    if figures:
        parts = _frozen_parts(year, quarter, figures, options)
    else:
        parts = _live_parts(year, checkpoint, flag, today, options)
    drops = _propose_drop_by_team()
    rows = tuple(TeamLine(**{**r.__dict__, "propose_drop": drops.get(r.code, 0)})
                 for r in parts["rows"])
    return Bulletin(year=year, checkpoint=checkpoint, today=today, rows=rows,
                    propose_drop=sum(drops.values()),
                    propose_drop_days=stale.thresholds.propose_drop,
                    ranking_cap=options.ranking_cap, note=notes.note_for(year, checkpoint),
                    activity=_activity(year, parts["as_of"], rows, activity_weights),
                    overdue=supervision_overdue.city(parts["as_of"]),
                    **{k: v for k, v in parts.items() if k != "rows"})


def _activity(year, as_of, rows, weights):
    """The period's 招商活跃指数 (1 January to the day judged), or () without any activity."""
    ids = dict(TaskForce.select(TaskForce.code, TaskForce.id)
               .where(TaskForce.code.in_([r.code for r in rows] or [""])).tuples())
    ranking = activity_index.period_ranking(datetime.date(year, 1, 1), as_of,
                                            weights or index_rules.DEFAULT_WEIGHTS,
                                            [(ids[r.code], r.code, r.name) for r in rows if r.code in ids])
    return tuple(ranking) if any(done for _n, _s, done in ranking) else ()


def _live_parts(year, checkpoint, flag, today, options):
    as_of = min(max(today, periods.year_start(year)), checkpoint_date(year, checkpoint))
    report = progress.build_report(year, as_of, options)

    def figure(m):
        met = m.milestones.as_dict()[flag]
        return Figure(m.key, m.target, m.actual, m.completion, m.gap_points, m.status,
                      None if met is None else met is True)

    rows = [TeamLine(r.code, r.name, r.kind, r.rank, r.score, r.status,
                     {k: figure(m) for k, m in r.metrics.items()}) for r in report.rows]
    return dict(as_of=as_of, frozen=False, frozen_at=None, time_progress=report.time_progress,
                totals={k: figure(m) for k, m in report.totals.items()}, rows=rows)


def _met(quarter, actual, target, checkpoint_target):
    """The quarter's milestone from frozen values: 开门红/Q3 against the checkpoint,
    双过半 against half the annual target, 全年 against the target."""
    if target is None:
        return None
    goal = {2: Decimal(target) / 2, 4: Decimal(target)}.get(quarter, checkpoint_target)
    return goal is not None and Decimal(actual) >= Decimal(goal)


def _frozen_parts(year, quarter, figures, options):
    as_of = periods.quarter_end(year, quarter)
    teams = {}
    for f in figures:
        teams.setdefault((f.code, f.name, f.kind), {})[f.metric] = Figure(
            f.metric, f.target, f.cumulative_actual, f.completion, f.gap_points, f.status,
            _met(quarter, f.cumulative_actual, f.target, f.checkpoint_target))
    tp = next((f.time_progress for f in figures if f.time_progress is not None),
              periods.time_progress(year, as_of, options.precision))
    rows = _ranked([_team_line(code, name, kind, metrics, options.ranking_cap)
                    for (code, name, kind), metrics in teams.items()])
    totals = {key: _city_figure(key, quarter, [r.figures[key] for r in rows
                                               if key in r.figures], figures, tp, options)
              for key in M.KEYS}
    return dict(as_of=as_of, frozen=True, frozen_at=max(f.frozen_at for f in figures),
                time_progress=tp, totals=totals, rows=rows)


def _team_line(code, name, kind, metrics, cap):
    """A task force's line from frozen figures, scored as the progress report scores
    (domain.progress.score, each completion capped at ``cap``)."""
    for key in M.KEYS:   # a metric missing from the snapshot: nothing to judge
        metrics.setdefault(key, Figure(key, None, Decimal("0.00"), None, None, P.GREY, None))
    judged = [f for f in metrics.values() if f.completion is not None]
    score = P.score((f.completion for f in judged), cap)
    worst = min((f.status for f in judged), key=STATUS_ORDER.get, default=P.GREY)
    return TeamLine(code, name, kind, 0, score, worst, metrics)


def _ranked(lines):
    """Best first, as the progress report ranks: score, then code."""
    ordered = sorted(lines, key=lambda r: (r.score is None, -(r.score or 0), r.code))
    return tuple(TeamLine(**{**r.__dict__, "rank": i}) for i, r in enumerate(ordered, start=1))


def _city_figure(key, quarter, team_figures, frozen, tp, options):
    """The city's figure of ``key``: targets summed over the teams that have one, actuals
    over every team (as progress.build_report totals them)."""
    targets = [f.target for f in team_figures if f.target is not None]
    target = P.amount(sum(targets, Decimal(0))) if targets else None
    actual = P.amount(sum((f.actual for f in team_figures), Decimal(0)))
    checkpoints = [f.checkpoint_target for f in frozen
                   if f.metric == key and f.checkpoint_target is not None]
    completion = P.completion(actual, target)
    gap = P.gap_points(completion, tp)
    return Figure(key, target, actual, completion, gap, P.status(gap, options.bands),
                  _met(quarter, actual, target, sum(checkpoints, Decimal(0))))


def _propose_drop_by_team():
    """{task force code: open 建议退库 flags} (the latest staleness scan, as of today)."""
    return stale_service.open_counts_by_team(S.PROPOSE_DROP)
