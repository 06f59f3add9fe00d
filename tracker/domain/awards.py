"""落地成效 awards: how a task force's landed projects are scored and ranked (docs/design.md,
Awards). Pure rules: plain values in, plain values out.

The inputs per task force and year (``TeamFacts``) are counted by
tracker/services/awards/ranking.py; the rates follow from them:

- 履约率 ``performance`` = started ÷ signed: signed projects that reached 开工 by the as-of date;
- 开工率 ``start`` = started in year ÷ signed: signed projects that reached 开工 by the end of
  their signing year (and by the as-of date), i.e. 当年签约当年开工. Judged within the year
  (as-of date in the year) it equals 履约率; it differs when a past year is viewed later,
  where a late start still counts for 履约率 but not for 开工率;
- 投产率 ``production`` = producing ÷ signed;
- 资金到位率 ``funds`` = 到位资金 ÷ 签约总额 (签约额 + 增资) of the signed projects.

A rate has no value (None) when its denominator is 0. Two counts complete the score:
``big`` (projects with 签约总额 ≥ 10亿元 = 100,000 万元) and ``top`` (projects tagged
世界500强, 央企 or 民营500强).

Score (stated on the page, ``FORMULA``): each part gets a basis between 0 and 100 —
a rate capped at 100 % (None: 0), a count as 100 × count ÷ the year's largest count among
the task forces (0 when every count is 0). Its contribution is basis × weight ÷ sum of
weights, rounded half up to 0.01; the score is the sum of the contributions (0–100 points).
Rank: score descending; equal scores share a rank (1, 1, 3), listed by code.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
BIG_PROJECT_WAN = Decimal(100000)  # 10亿元
TOP_TAGS = ("世界500强", "央企", "民营500强")

RATE_KEYS = ("performance", "start", "production", "funds")
COUNT_KEYS = ("big", "top")
COUNT_FIELDS = {"big": "big_projects", "top": "top_investors"}  # TeamFacts field per key
KEYS = RATE_KEYS + COUNT_KEYS
LABELS = {
    "performance": "履约率", "start": "开工率", "production": "投产率", "funds": "资金到位率",
    "big": "10亿元以上项目", "top": "500强/央企项目",
}
DEFAULT_WEIGHTS = {"performance": 25, "start": 15, "production": 20, "funds": 20,
                   "big": 10, "top": 10}
FORMULA = ("得分 = Σ（分项基准分 × 权重 ÷ 权重合计），各项贡献四舍五入到 0.01 分后相加，满分 100。"
           "比率类分项的基准分 = min(比率, 100%)，无签约项目时为 0；"
           "数量类分项的基准分 = 100 × 本专班数量 ÷ 当年各专班中的最大数量（最大数量为 0 时为 0）。"
           "得分相同者并列，名次按并列人数顺延。")


@dataclass(frozen=True)
class TeamFacts:
    """What was counted for one task force (amounts in 万元)."""
    task_force_id: int
    code: str
    name: str
    signed: int = 0
    started: int = 0
    started_in_year: int = 0
    producing: int = 0
    contract_total: Decimal = Decimal("0.00")
    funds_received: Decimal = Decimal("0.00")
    big_projects: int = 0
    top_investors: int = 0


@dataclass(frozen=True)
class Part:
    """One part of a score: its value (a rate in percent, or a count), the basis it gives
    (0–100), its weight and its contribution in points."""
    key: str
    value: Decimal | int | None
    basis: Decimal
    weight: Decimal
    contribution: Decimal

    @property
    def label(self):
        return LABELS[self.key]

    @property
    def is_rate(self):
        return self.key in RATE_KEYS


@dataclass(frozen=True)
class Scored:
    facts: TeamFacts
    parts: tuple  # Part per key, in KEYS order
    score: Decimal
    rank: int = 0

    def part(self, key):
        return next(p for p in self.parts if p.key == key)


def _q(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part, whole):
    """part ÷ whole in percent (2 places), None when ``whole`` is not positive."""
    if whole is None or Decimal(whole) <= 0:
        return None
    return _q(Decimal(part) * HUNDRED / Decimal(whole))


def rates(facts):
    """{rate key: percent or None} of one task force."""
    return {
        "performance": ratio(facts.started, facts.signed),
        "start": ratio(facts.started_in_year, facts.signed),
        "production": ratio(facts.producing, facts.signed),
        "funds": ratio(facts.funds_received, facts.contract_total),
    }


def clean_weights(mapping):
    """{key: Decimal weight} from a mapping of key -> number (missing keys weigh 0).
    Raises ValueError for an unknown key, a weight that is not a number ≥ 0, or all 0."""
    unknown = set(mapping or {}) - set(KEYS)
    if unknown:
        raise ValueError(f"AWARD_WEIGHTS: unknown keys {sorted(unknown)}; known: {list(KEYS)}")
    out = {}
    for key in KEYS:
        raw = (mapping or {}).get(key, 0)
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"AWARD_WEIGHTS[{key!r}] is not a number: {raw!r}") from None
        if not value.is_finite() or value < 0 or isinstance(raw, bool):
            raise ValueError(f"AWARD_WEIGHTS[{key!r}] must be a number ≥ 0, not {raw!r}")
        out[key] = value
    if not sum(out.values()):
        raise ValueError("AWARD_WEIGHTS: at least one weight must be greater than 0")
    return out


def maxima(all_facts):
    """{count key: the year's largest count among ``all_facts``}."""
    return {key: max((count(f, key) for f in all_facts), default=0) for key in COUNT_KEYS}


def count(facts, key):
    """The count of ``facts`` behind count key ``key``."""
    return getattr(facts, COUNT_FIELDS[key])


def basis(key, value, largest=None):
    """The 0–100 basis of one part (see the module docstring)."""
    if key in RATE_KEYS:
        return Decimal("0.00") if value is None else min(_q(value), _q(HUNDRED))
    if not largest:
        return Decimal("0.00")
    return _q(HUNDRED * Decimal(value) / Decimal(largest))


def score(facts, weights, largest):
    """Scored (rank 0) of one task force; ``weights`` from clean_weights, ``largest`` from
    maxima."""
    total = sum(weights.values())
    values = dict(rates(facts), **{key: count(facts, key) for key in COUNT_KEYS})
    parts = []
    for key in KEYS:
        b = basis(key, values[key], largest.get(key))
        parts.append(Part(key, values[key], b, weights[key], _q(b * weights[key] / total)))
    return Scored(facts, tuple(parts), sum((p.contribution for p in parts), Decimal("0.00")))


def rank(scored):
    """``scored`` sorted by score (best first, then code) with competition ranks (1, 1, 3)."""
    ordered = sorted(scored, key=lambda s: (-s.score, s.facts.code))
    out, previous, place = [], None, 0
    for index, item in enumerate(ordered, start=1):
        if item.score != previous:
            place, previous = index, item.score
        out.append(Scored(item.facts, item.parts, item.score, place))
    return out


def score_all(all_facts, weights):
    """Ranked Scored rows of every task force of a year (normalised against their maxima)."""
    weights = clean_weights(weights)
    largest = maxima(all_facts)
    return rank([score(f, weights, largest) for f in all_facts])
