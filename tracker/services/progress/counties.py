"""County/zone pages: lookups and the figures of one county's page (no writes here; the
funds goals are services.targets.counties)."""
from dataclasses import dataclass
from decimal import Decimal

from ...domain import periods
from ...models import FundReceipt, Project, TaskForce
from ..figures import metrics as metric_service
from . import report as progress_service
from .options import ProgressOptions

RECEIPTS_SHOWN = 50


@dataclass(frozen=True)
class CountyDetail:
    progress: object        # services.progress.report county row
    months: list            # [(month, this year, last year same period, last year full)]
    receipts: list          # FundReceipt rows (project and task force joined), newest first
    counted_to: object      # last day counted (date) or None before the year starts


def overview(year, as_of, options=None):
    """(options, every county's progress) for the county list, judged with ``options``
    (ProgressOptions; the defaults when left out)."""
    cfg = options or ProgressOptions()
    return cfg, progress_service.county_progress(year, as_of, cfg)


def recent_receipts(county_id, start, end, limit=RECEIPTS_SHOWN):
    return list(FundReceipt.select(FundReceipt, Project, TaskForce)
                .join(Project).join(TaskForce)
                .where((Project.county == county_id)
                       & FundReceipt.received_on.between(start, end))
                .order_by(FundReceipt.received_on.desc(), FundReceipt.id.desc())
                .limit(limit))


def detail(county, year, as_of, options=None):
    """Progress (judged with ``options``), monthly funds this year against last year and
    the latest receipts."""
    (progress,) = progress_service.county_progress(year, as_of, options or ProgressOptions(),
                                                   county_ids=[county.id])
    this_year = metric_service.county_monthly_funds(year, as_of, [county.id])
    last = periods.clamp(as_of, year)
    prev_as_of = metric_service.same_day_last_year(last) if last else None
    last_year = (metric_service.county_monthly_funds(year - 1, prev_as_of, [county.id])
                 if prev_as_of else {})
    last_year_full = metric_service.county_monthly_funds(year - 1, periods.year_end(year - 1),
                                                         [county.id])
    zero = (Decimal("0.00"),) * 12
    months = list(zip(range(1, 13), this_year.get(county.id, zero),
                      last_year.get(county.id, zero), last_year_full.get(county.id, zero)))
    receipts = recent_receipts(county.id, periods.year_start(year), last) if last else []
    return CountyDetail(progress=progress, months=months, receipts=receipts, counted_to=last)
