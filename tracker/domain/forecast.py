"""Projected year-end actuals from the pipeline.

Projects not yet past a metric's stage, not dropped, with an expected signing
date inside the year are expected to reach it; each counts with the probability
of its current stage. Amounts per stage come from SQL (services.figures.metrics).
"""
from decimal import Decimal

from . import pipeline
from .metrics import FUNDS_RECEIVED, NEGOTIATIONS, PACKAGED_VALUE, SIGNED_VALUE
from .progress import amount

DEFAULT_PROBABILITIES = {
    pipeline.RESERVE: Decimal("0.1"),
    pipeline.PACKAGED: Decimal("0.3"),
    pipeline.NEGOTIATING: Decimal("0.6"),
}

# Stages whose projects can still add to a metric (they have not reached it yet).
OPEN_STAGES = {
    PACKAGED_VALUE: (pipeline.RESERVE,),
    NEGOTIATIONS: (pipeline.RESERVE, pipeline.PACKAGED),
    SIGNED_VALUE: (pipeline.RESERVE, pipeline.PACKAGED, pipeline.NEGOTIATING),
    FUNDS_RECEIVED: (),  # funds are not forecast from the pipeline
}


def probabilities(config=None):
    """Per-stage probabilities: defaults overridden by ``config`` (stage -> 0..1)."""
    probs = dict(DEFAULT_PROBABILITIES)
    for stage, value in (config or {}).items():
        if stage not in DEFAULT_PROBABILITIES:
            raise ValueError(f"no forecast probability for stage {stage!r}")
        value = Decimal(str(value))
        if not Decimal(0) <= value <= Decimal(1):
            raise ValueError(f"probability for {stage!r} must be within 0..1")
        probs[stage] = value
    return probs


def project(metric, actual, pipeline_by_stage, probs=None):
    """Projected year-end value: actual + sum(probability(stage) x pipeline amount).

    ``pipeline_by_stage`` maps stage -> amount (or count) of the open projects
    expected to reach the metric within the year.
    """
    probs = probs or DEFAULT_PROBABILITIES
    extra = sum((probs.get(stage, Decimal(0)) * Decimal(pipeline_by_stage.get(stage, 0))
                 for stage in OPEN_STAGES[metric]), Decimal(0))
    return amount(Decimal(actual) + extra)
