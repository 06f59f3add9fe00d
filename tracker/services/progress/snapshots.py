"""Quarter close: freeze each task force's result per metric for a closed quarter.

A QuarterSnapshot is written once, at the quarter close, and never rewritten:
rows are inserted with ON CONFLICT DO NOTHING (INSERT OR IGNORE / INSERT
IGNORE) on the unique (year, quarter, task force, metric), so freezing a
quarter again, or a later edit of the ledger, leaves the frozen numbers alone.
The numbers come from the same progress service as the dashboard
(tracker/services/progress/report.py), evaluated on the quarter's last day.
"""
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from ...domain import periods
from ...domain import progress as P
from ...models import QuarterSnapshot, TaskForce, utcnow
from .. import dataversion, tx
from . import report
from .options import ProgressOptions
from ..targets.shares import shares_for

CENT = Decimal("0.01")


@dataclass(frozen=True)
class SnapshotRow:
    """What gets frozen for one task force and metric (percentages in percent)."""
    task_force_id: int
    metric: str
    quarter_actual: Decimal
    cumulative_actual: Decimal
    target: Decimal | None = None
    target_version: int | None = None
    checkpoint_share: Decimal | None = None
    checkpoint_target: Decimal | None = None
    catch_up_target: Decimal | None = None
    completion: Decimal | None = None
    time_progress: Decimal | None = None
    gap_points: Decimal | None = None
    status: str = ""


@dataclass(frozen=True)
class FreezeResult:
    year: int
    quarter: int
    created: int
    kept: int  # rows that were frozen already and left untouched
    task_forces: int = 0  # task forces that got rows at this run
    kept_task_forces: int = 0  # task forces frozen before, left untouched

    @property
    def key(self):
        return periods.quarter_key(self.year, self.quarter)

    def summary(self):
        return (f"{self.year}年第{self.quarter}季度：冻结 {self.task_forces} 个专班"
                f"（{self.created} 条），已冻结未改动 {self.kept_task_forces} 个专班"
                f"（{self.kept} 条）")


def closed_quarter_before(day):
    """(year, quarter) of the last quarter that ended before ``day``."""
    year, quarter = day.year, periods.quarter_of(day)
    return periods.previous_quarter(year, quarter)


MONEY_FIELDS = ("quarter_actual", "cumulative_actual", "target", "checkpoint_target",
                "catch_up_target", "completion", "time_progress", "gap_points",
                "checkpoint_share")


def _money(value):
    if value is None:
        return None
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _progress_rows(year, quarter, options):
    """SnapshotRows for every active task force and metric: the progress
    service's numbers at the quarter's last day, plus the checkpoint share and
    the catch-up target set at this close (the remaining annual target spread
    evenly over the remaining quarters; none after Q4)."""
    shares = shares_for(year)
    open_qs = periods.open_quarters(year, periods.quarter_end(year, quarter))
    rows = []
    for r in report.quarter_results(year, quarter, options):
        metric_shares = shares.get(r.metric, P.DEFAULT_SHARES)
        catch = P.catch_up(r.target, P.checkpoints(r.target, metric_shares), r.cumulative,
                           open_qs)
        rows.append(SnapshotRow(
            task_force_id=r.task_force_id, metric=r.metric, quarter_actual=r.quarter_actual,
            cumulative_actual=r.cumulative, target=r.target,
            target_version=r.target_version or None,
            checkpoint_share=metric_shares[quarter - 1] if r.target is not None else None,
            checkpoint_target=r.checkpoint,
            catch_up_target=catch[0].even_split if catch else None,
            completion=r.completion, time_progress=r.time_progress, gap_points=r.gap_points,
            status=r.status))
    return rows


def freeze_quarter(year, quarter, rows=None, frozen_at=None, options=None):
    """Freeze ``year``/``quarter``; ``rows`` (SnapshotRows) default to the
    progress service's numbers at the quarter's last day, judged with
    ``options`` (progress.ProgressOptions; the defaults when left out, the quarter-close
    job passes the app's). Idempotent."""
    if quarter not in periods.QUARTERS:
        raise ValueError(f"quarter must be 1..4, not {quarter!r}")
    if rows is None:
        rows = _progress_rows(year, quarter, options or ProgressOptions())
    rows = list(rows)
    frozen_at = frozen_at or utcnow()
    names = [f.name for f in fields(SnapshotRow)]
    created = kept = 0
    new_teams, kept_teams = set(), set()
    with tx.write():
        existing = set(QuarterSnapshot
                       .select(QuarterSnapshot.task_force, QuarterSnapshot.metric)
                       .where((QuarterSnapshot.year == year)
                              & (QuarterSnapshot.quarter == quarter)).tuples())
        for row in rows:
            if (row.task_force_id, row.metric) in existing:
                kept += 1
                kept_teams.add(row.task_force_id)
                continue
            new_teams.add(row.task_force_id)
            values = {name: getattr(row, name) for name in names}
            values["task_force"] = values.pop("task_force_id")
            for name in MONEY_FIELDS:
                values[name] = _money(values[name])
            # A concurrent freeze may have inserted the row since the read
            # above: the unique key makes this a no-op then, never an update.
            (QuarterSnapshot
             .insert(year=year, quarter=quarter, frozen_at=frozen_at, **values)
             .on_conflict_ignore()
             .execute())
            existing.add((row.task_force_id, row.metric))
            created += 1
        if created:
            dataversion.changed()
    return FreezeResult(year=year, quarter=quarter, created=created, kept=kept,
                        task_forces=len(new_teams), kept_task_forces=len(kept_teams - new_teams))


def unfrozen_task_forces(year, quarter):
    """Ids of the active task forces without any snapshot for ``year``/``quarter`` (created
    after the quarter was closed): what a re-run of the close would freeze."""
    frozen = (QuarterSnapshot.select(QuarterSnapshot.task_force)
              .where((QuarterSnapshot.year == year) & (QuarterSnapshot.quarter == quarter)))
    return [tf_id for tf_id, in TaskForce.select(TaskForce.id)
            .where((TaskForce.active == True) & TaskForce.id.not_in(frozen))  # noqa: E712
            .order_by(TaskForce.id).tuples()]


def is_frozen(year, quarter):
    return QuarterSnapshot.select().where(
        (QuarterSnapshot.year == year) & (QuarterSnapshot.quarter == quarter)).exists()


def snapshots(year, task_force_ids=None):
    """{(task_force_id, metric, quarter): QuarterSnapshot} for ``year``."""
    query = QuarterSnapshot.select().where(QuarterSnapshot.year == year)
    if task_force_ids is not None:
        query = query.where(QuarterSnapshot.task_force.in_(list(task_force_ids)))
    return {(s.task_force_id, s.metric, s.quarter): s for s in query}


def frozen_quarters(year):
    """Quarters of ``year`` that have snapshots."""
    return sorted({q for q, in QuarterSnapshot.select(QuarterSnapshot.quarter).distinct()
                   .where(QuarterSnapshot.year == year).tuples()})


@dataclass(frozen=True)
class FrozenFigure:
    """One frozen snapshot row as plain values, with its task force's code and name."""
    code: str
    name: str
    kind: str
    metric: str
    target: Decimal | None
    target_version: int | None
    checkpoint_share: Decimal | None
    checkpoint_target: Decimal | None
    catch_up_target: Decimal | None
    quarter_actual: Decimal
    cumulative_actual: Decimal
    completion: Decimal | None
    time_progress: Decimal | None
    gap_points: Decimal | None
    status: str
    frozen_at: object  # naive UTC datetime


FIGURES = tuple(f.name for f in fields(FrozenFigure))[4:]


def frozen_figures(year, quarter):
    """[FrozenFigure] of ``year``/``quarter`` as frozen (every task force that has rows,
    active or not), ordered by task force code and metric."""
    query = (QuarterSnapshot.select(QuarterSnapshot, TaskForce)
             .join(TaskForce)
             .where((QuarterSnapshot.year == year) & (QuarterSnapshot.quarter == quarter))
             .order_by(TaskForce.code, QuarterSnapshot.metric))
    return [FrozenFigure(code=s.task_force.code, name=s.task_force.name,
                         kind=s.task_force.kind, metric=s.metric,
                         **{name: getattr(s, name) for name in FIGURES})
            for s in query]
