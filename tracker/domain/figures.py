"""What one project adds to the maintained monthly figures: a pure function of its rows
(docs/design.md, Metrics and counting rules; tracker/services/figures/monthly.py).

A figure key is ``(scope, owner, metric, year, month, day)``: every value goes to its
month's row (day 0) and to its day's row (day 1..31). Values are integer cents of 万元
(a count x 100 for 洽谈项目), so adding and subtracting them is exact.

- packaged_value: 计划投资额 (the value in force now) in the month of ``packaged_on``;
- negotiations: 1 in the month of ``negotiating_on``;
- signed_value: 签约额 (0 when empty) in the month of ``signed_on``, plus each counted
  增资 in the month of its own date;
- funds_received: each counted receipt in the month of its date, for the task force and,
  when the project has one, for its county;
- the open pipeline (the forecast, domain/forecast.py), in the month of the expected signing
  date, per stage the project is at: ``pl_packaged_<stage>`` its 计划投资额 while not yet
  packaged, ``pl_negotiations_<stage>`` 1 while not yet in 洽谈, and while not yet signed
  ``pl_signed_contract_<stage>`` its 签约额 or, without one, ``pl_signed_planned_<stage>``
  its 计划投资额 (the report applies the contract share to that part).
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import metrics as M
from .forecast import OPEN_STAGES

TASK_FORCE, COUNTY = "task_force", "county"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ProjectFacts:
    """The columns of one project that the figures depend on (dates are datetime.date)."""
    task_force_id: int
    county_id: int | None
    planned_investment: Decimal | None
    contract_value: Decimal | None
    packaged_on: object = None
    negotiating_on: object = None
    signed_on: object = None
    stage: str | None = None
    expected_sign_date: object = None



def _pipeline_names():
    parts = ((M.PACKAGED_VALUE, None, "packaged"), (M.NEGOTIATIONS, None, "negotiations"),
             (M.SIGNED_VALUE, "contract", "signed_contract"),
             (M.SIGNED_VALUE, "planned", "signed_planned"))
    return {f"pl_{code}_{stage}": (metric, stage, part)
            for metric, part, code in parts for stage in OPEN_STAGES[metric]}


# metric name -> (metric it forecasts, stage, part of 签约额: "contract" | "planned" | None)
PIPELINE = _pipeline_names()
PIPELINE_NAME = {spec: name for name, spec in PIPELINE.items()}
REACHED = {M.PACKAGED_VALUE: "packaged_on", M.NEGOTIATIONS: "negotiating_on",
           M.SIGNED_VALUE: "signed_on"}


def to_cents(value):
    """Integer cents of a 万元 amount (None = 0), rounded half up."""
    if value is None:
        return 0
    return int((Decimal(str(value)) * HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents):
    """Decimal 万元 with 2 places from integer cents."""
    return (Decimal(int(cents)) / HUNDRED).quantize(Decimal("0.01"))


def add(out, scope, owner, metric, day, cents):
    """Add ``cents`` dated ``day`` to the month row and the day row of ``out``."""
    if cents:
        for key in ((scope, owner, metric, day.year, day.month, 0),
                    (scope, owner, metric, day.year, day.month, day.day)):
            out[key] = out.get(key, 0) + cents


def contribution(facts, increases=(), receipts=()):
    """{figure key: cents} of one project; ``increases`` and ``receipts`` are the
    (date, amount) pairs of its counted (not voided) 增资 and 到位资金 rows."""
    out = {}
    team = facts.task_force_id
    if facts.packaged_on is not None:
        add(out, TASK_FORCE, team, M.PACKAGED_VALUE, facts.packaged_on,
            to_cents(facts.planned_investment))
    if facts.negotiating_on is not None:
        add(out, TASK_FORCE, team, M.NEGOTIATIONS, facts.negotiating_on, 100)
    if facts.signed_on is not None:
        add(out, TASK_FORCE, team, M.SIGNED_VALUE, facts.signed_on,
            to_cents(facts.contract_value))
    _pipeline(out, facts)
    for day, amount in increases:
        add(out, TASK_FORCE, team, M.SIGNED_VALUE, day, to_cents(amount))
    for day, amount in receipts:
        add(out, TASK_FORCE, team, M.FUNDS_RECEIVED, day, to_cents(amount))
        if facts.county_id is not None:
            add(out, COUNTY, facts.county_id, M.FUNDS_RECEIVED, day, to_cents(amount))
    return out


def pipeline_value(metric, part, planned, contract):
    """Cents one open project adds to a pipeline figure (None: it adds to none)."""
    if metric == M.NEGOTIATIONS:
        return 100
    if part == "contract":
        return None if contract is None else to_cents(contract)
    if part == "planned":
        return None if contract is not None else to_cents(planned)
    return to_cents(planned)


def _pipeline(out, facts):
    day = facts.expected_sign_date
    if day is None:
        return
    for metric, reached in REACHED.items():
        if facts.stage not in OPEN_STAGES[metric] or getattr(facts, reached) is not None:
            continue
        parts = ("contract", "planned") if metric == M.SIGNED_VALUE else (None,)
        for part in parts:
            cents = pipeline_value(metric, part, facts.planned_investment, facts.contract_value)
            if cents is not None:
                add(out, TASK_FORCE, facts.task_force_id,
                    PIPELINE_NAME[(metric, facts.stage, part)], day, cents)


def difference(before, after):
    """[(key, delta cents)] turning ``before`` into ``after``, zero deltas left out, in
    key order (every writer touches rows in the same order: no deadlock between them)."""
    keys = sorted(set(before) | set(after))
    return [(k, after.get(k, 0) - before.get(k, 0)) for k in keys
            if after.get(k, 0) != before.get(k, 0)]


def drift(stored, expected):
    """[(key, stored cents, expected cents)] where the two {key: cents} maps disagree
    (a missing key is 0), in key order."""
    keys = sorted(set(stored) | set(expected))
    return [(k, stored.get(k, 0), expected.get(k, 0)) for k in keys
            if stored.get(k, 0) != expected.get(k, 0)]
