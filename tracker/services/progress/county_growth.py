"""到位资金 growth per county/zone against its goal: the counties part of the
progress report (tracker.services.progress.report re-exports ``CountyProgress`` and
``county_progress``; read that module's docstring for the contract).

Base: a hand-entered base in the county's current target version wins (entered
when the ledger has no history); otherwise last year's full-year ledger actual.
Growth compares this year's funds up to ``as_of`` with the same period last year
(from the ledger; with a manual base, the base pro-rated by time progress).
Status colours growth - goal with the bands; grey without a base; green when
last year's same period had nothing (growth is then None) but this year has funds.
"""
from dataclasses import dataclass
from decimal import Decimal

from ...domain import periods
from ...domain import progress as P
from ...models import County
from ..figures import metrics as Q
from ..targets.counties import current_county_targets

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CountyProgress:
    county_id: int
    code: str
    name: str
    kind: str
    actual: Decimal                    # funds received 1 Jan .. as_of
    last_year_same_period: Decimal | None
    last_year_total: Decimal           # previous year's ledger actual
    base: Decimal | None               # base used for the goal
    base_source: str                   # "ledger" | "manual" | "none"
    growth_goal: Decimal               # percent, default 20
    target: Decimal | None             # base x (1 + goal)
    target_version: int
    completion: Decimal | None         # actual / target
    growth: Decimal | None             # actual vs last year's same period, percent
    gap_points: Decimal | None         # growth - goal
    status: str

    @property
    def status_label(self):
        return P.STATUS_LABELS[self.status]


def county_progress(year, as_of, options, county_ids=None):
    """CountyProgress for the active counties/zones (or ``county_ids``), judged
    with ``options`` (precision, bands, county_growth_goal of a ProgressOptions)."""
    q = County.select().where(County.active == True)  # noqa: E712
    if county_ids is not None:
        q = q.where(County.id.in_(list(county_ids)))
    counties = list(q.order_by(County.code))
    ids = [c.id for c in counties]
    funds = _funds(year, as_of, ids)
    goals = current_county_targets(year, ids)
    tp = periods.time_progress(year, as_of, options.precision)
    return tuple(_county_row(c, goals.get(c.id), funds, tp, options) for c in counties)


def _funds(year, as_of, ids):
    """{"this_year" | "prev_total" | "prev_same": {county id: funds}} from the ledger."""
    last = periods.clamp(as_of, year)
    prev_start, prev_end = periods.year_start(year - 1), periods.year_end(year - 1)
    return Q.county_funds_windows({
        "this_year": (periods.year_start(year), last) if last else None,
        "prev_total": (prev_start, prev_end),
        "prev_same": (prev_start, Q.same_day_last_year(last)) if last else None,
    }, ids)


def _county_row(county, goal_row, funds, tp, options):
    """CountyProgress of one county from its funds windows and current target version."""
    growth_goal = Decimal(goal_row.growth_pct) if goal_row else options.county_growth_goal
    actual = funds["this_year"].get(county.id, ZERO)
    total_prev = funds["prev_total"].get(county.id, ZERO)
    if goal_row is not None and goal_row.base is not None:
        base, source = Decimal(goal_row.base), "manual"
        same = P.amount(base * tp / periods.HUNDRED)
    elif total_prev > 0:
        base, source = total_prev, "ledger"
        same = funds["prev_same"].get(county.id, ZERO)
    else:
        base, source, same = None, "none", None
    target = P.amount(base * (periods.HUNDRED + growth_goal) / periods.HUNDRED) \
        if base is not None else None
    growth = P.pct((actual - same) * periods.HUNDRED / same) if same else None
    gap = P.pct(growth - growth_goal) if growth is not None else None
    colour = P.status(gap, options.bands)
    if base is not None and not same and actual > 0:
        colour = P.GREEN   # nothing by this date last year: any funds beat it
    if base is not None and not tp:
        colour = P.WAIT    # no time has passed (month-based, in January): nothing judged
    return CountyProgress(
        county.id, county.code, county.name, county.kind, actual, same, total_prev, base,
        source, growth_goal, target, goal_row.version if goal_row else 0,
        P.completion(actual, target), growth, gap, colour)
