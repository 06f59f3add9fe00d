"""County/zone pages: 到位资金 this year vs the same period last year, growth vs the goal."""
from decimal import Decimal

from flask import Blueprint, render_template, request
from playhouse.flask_utils import get_object_or_404

from ... import charts
from ...domain import periods
from ...models import County, FundReceipt, Project, TaskForce
from ...services import metrics as metric_service
from ...services import progress as progress_service
from ..period import parse_period

bp = Blueprint("counties", __name__, url_prefix="/counties")


def growth_chart(counties, goal):
    """Growth per county (coloured by status) against the default goal line."""
    return charts.bar_chart(
        [(c.name, c.growth, c.status) for c in counties],
        title="到位资金同比增长", reference=goal, reference_label=f"目标 {goal:.2f}%",
        fmt=lambda v: f"{v:.1f}%")


@bp.route("/")
def index():
    period = parse_period(request.args)
    cfg = progress_service.settings()
    counties = progress_service.county_progress(period.year, period.as_of, cfg)
    return render_template("counties/index.html", period=period, counties=counties,
                           chart=growth_chart(counties, cfg.county_growth_goal)
                           if counties else None,
                           time_progress=periods.time_progress(period.year, period.as_of))


@bp.route("/<code>")
def detail(code):
    county = get_object_or_404(County, County.code == code)
    period = parse_period(request.args)
    cfg = progress_service.settings()
    (progress,) = progress_service.county_progress(period.year, period.as_of, cfg,
                                                   county_ids=[county.id])
    this_year = metric_service.county_monthly_funds(period.year, period.as_of, [county.id])
    last = periods.clamp(period.as_of, period.year)
    prev_as_of = metric_service.same_day_last_year(last) if last else None
    last_year = (metric_service.county_monthly_funds(period.year - 1, prev_as_of, [county.id])
                 if prev_as_of else {})
    last_year_full = metric_service.county_monthly_funds(
        period.year - 1, periods.year_end(period.year - 1), [county.id])
    zero = (Decimal("0.00"),) * 12
    months = list(zip(range(1, 13), this_year.get(county.id, zero),
                      last_year.get(county.id, zero), last_year_full.get(county.id, zero)))
    chart = _monthly_chart(progress, months, last)
    receipts = (FundReceipt.select(FundReceipt, Project, TaskForce)
                .join(Project).join(TaskForce)
                .where((Project.county == county)
                       & FundReceipt.received_on.between(periods.year_start(period.year),
                                                         last or periods.year_start(period.year)))
                .order_by(FundReceipt.received_on.desc(), FundReceipt.id.desc())
                .limit(50)) if last else []
    return render_template("counties/detail.html", county=county, period=period,
                           progress=progress, months=months, chart=chart,
                           receipts=list(receipts), counted_to=last)


def _monthly_chart(progress, months, last):
    """Cumulative 到位资金 this year vs last year's running total × (1 + goal)."""
    goal = (Decimal(100) + progress.growth_goal) / Decimal(100)
    run_this = run_prev = Decimal(0)
    actuals, goal_line = [], []
    for month, this, _prev_same, prev_full in months:
        run_this += this
        run_prev += prev_full
        actuals.append(run_this if last and month <= last.month else None)
        goal_line.append(run_prev * goal)
    return charts.cumulative_chart(
        [f"{m}月" for m in range(1, 13)], goal_line, actuals,
        title=f"累计到位资金（亿元）与去年同期×{goal:.2f}", fmt=lambda v: f"{v / 10000:,.2f}",
        width=560, height=220, legend=("今年累计", "增长目标线"))
