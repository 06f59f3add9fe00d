"""How progress is judged: ProgressOptions from the app config (tracker.config.Defaults).

``options_from(config)`` turns a config mapping into a frozen ProgressOptions; the edge
(tracker.settings.progress) builds it from the app's config and hands it to the
entry points of services.progress.report, which judge with the defaults when given none.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from ...config import setting
from ...domain import forecast as F
from ...domain import periods
from ...domain import progress as P
from ..targets.counties import DEFAULT_GROWTH_PCT
from ..figures.metrics import DEFAULT_CONTRACT_SHARE


@dataclass(frozen=True)
class ProgressOptions:
    """How progress is judged; the defaults equal ``options_from({})``."""
    precision: str = periods.MONTH
    bands: P.StatusBands = P.DEFAULT_BANDS
    probabilities: dict = field(default_factory=lambda: dict(F.DEFAULT_PROBABILITIES))
    county_growth_goal: Decimal = DEFAULT_GROWTH_PCT
    contract_share: Decimal = DEFAULT_CONTRACT_SHARE
    ranking_cap: Decimal = P.DEFAULT_RANKING_CAP    # RANKING_CAP_PCT: the score's cap per metric


Settings = ProgressOptions  # former name


def options_from(config):
    """ProgressOptions from a config mapping (missing settings: tracker.config.Defaults)."""
    return ProgressOptions(
        precision=setting(config, "PROGRESS_PRECISION"),
        bands=P.StatusBands.from_config(setting(config, "PROGRESS_STATUS_BANDS")),
        probabilities=F.probabilities(setting(config, "FORECAST_PROBABILITIES")),
        county_growth_goal=Decimal(str(setting(config, "COUNTY_GROWTH_GOAL"))),
        contract_share=Decimal(str(setting(config, "FORECAST_CONTRACT_SHARE"))),
        ranking_cap=Decimal(str(setting(config, "RANKING_CAP_PCT"))))
