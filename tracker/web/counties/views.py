"""County/zone pages: 到位资金 this year vs the same period last year, growth vs the goal."""
from decimal import Decimal

from flask import Blueprint, render_template, request

from ... import charts
from ...domain import periods
from ...services.progress import counties as service
from ...services.targets import counties as county_targets
from ..period import parse_period
from ... import settings

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
    cfg, counties = service.overview(period.year, period.as_of, settings.progress())
    return render_template("counties/index.html", period=period, counties=counties,
                           chart=growth_chart(counties, cfg.county_growth_goal)
                           if counties else None,
                           time_progress=periods.time_progress(period.year, period.as_of))


@bp.route("/<code>")
def detail(code):
    county = county_targets.get_county(code)
    period = parse_period(request.args)
    data = service.detail(county, period.year, period.as_of, settings.progress())
    chart = _monthly_chart(data.progress, data.months, data.counted_to)
    return render_template("counties/detail.html", county=county, period=period,
                           progress=data.progress, months=data.months, chart=chart,
                           receipts=data.receipts, counted_to=data.counted_to)


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
