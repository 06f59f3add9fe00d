"""The demo projects as plain data (no database): who, what, how much and the dated
history of each, built deterministically from tracker.demo.data and a
random seed. tracker.demo.seed writes the plan through the services.
"""
import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from tracker.domain import pipeline
from tracker.demo.data import (CONTACTS, COUNTY_GROWTH, DROP_REASONS, INVESTOR_MIX, INVESTORS,
    NEXT_STEPS, PROBLEMS, PROJECT_STEMS, SEED, TASK_FORCES)

# Chance of each final stage (before a task force's strength shifts it).
STAGE_WEIGHTS = [("reserve", 8), ("packaged", 14), ("negotiating", 24), ("signed", 17),
                 ("started", 14), ("producing", 10), ("at_capacity", 3), ("dropped", 10)]

# Checkpoint of time: the scaling below aims at target × time progress.
ANNUAL_PACKAGED = Decimal(1000000)  # 100亿 in 万元
ANNUAL_SIGNED = Decimal(200000)     # 20亿 in 万元


# Days between reaching the previous stage and this one.
GAP_DAYS = {"packaged": (20, 120), "negotiating": (20, 120), "signed": (30, 150),
            "started": (30, 120), "producing": (120, 360), "at_capacity": (90, 300)}


@dataclass
class Step:
    stage: str
    on: datetime.date
    note: str = ""
    reason: str = ""


@dataclass
class ProjectPlan:
    task_force: str
    name: str
    investor: str
    investor_region: str
    capital_type: str
    tags: str
    industry: str
    county: str
    planned: Decimal
    contract: Decimal = None
    signing_grade: str = None
    owner: str = None
    contact: str = ""
    next_step: str = ""
    problems: str = ""
    expected_sign_date: datetime.date = None
    stale: bool = False                              # no progress logged for 60+ days
    steps: list = field(default_factory=list)       # first step = creation
    funds: list = field(default_factory=list)       # (date, 万元, currency, orig, rate, layer)
    increases: list = field(default_factory=list)   # (date, 万元, note)


# --- plan: pure data, no database -------------------------------------------

def build_plan(today, seed=SEED):
    """Every demo project as plain data. Names/investors depend only on ``seed``;
    dates follow ``today`` (events span last year and this year, up to today)."""
    names_rng, rng = random.Random(seed), random.Random(seed + 1)
    plans = []
    for tf in TASK_FORCES:
        team_plans = [_identity(tf, i, names_rng) for i in range(tf["size"])]
        for plan, final in zip(team_plans, _final_stages(tf, rng)):
            _timeline(plan, tf, final, today, rng)
        _scale_to_strength(team_plans, tf, today, rng)
        for plan in team_plans:
            _money_events(plan, today, rng)
        plans.extend(team_plans)
    _balance_county_funds(plans, today)
    return plans


def _identity(tf, index, rng):
    industry = tf["industry"]
    stems = PROJECT_STEMS[industry]
    stem = stems[index % len(stems)]
    phase = index // len(stems)
    pools = INVESTOR_MIX[industry]
    pool = pools[min(int(rng.expovariate(1.1)), len(pools) - 1)]
    investor, region, capital_type, tags = rng.choice(INVESTORS[pool])
    name = f"{stem}项目" + ("" if phase == 0 else f"（{'一二三四五'[phase]}期）")
    planned = _round100(Decimal(int(10 ** rng.uniform(3.5, 5.4))))  # ~0.3亿–25亿
    return ProjectPlan(
        task_force=tf["code"], name=name, investor=investor, investor_region=region,
        capital_type=capital_type, tags=tags, industry=industry,
        county=rng.choice(tf["counties"]), planned=planned,
        contact=f"{rng.choice(CONTACTS)} 139{rng.randint(0, 99999999):08d}",
        problems=rng.choice(PROBLEMS))


def _round100(value):
    return max(Decimal(100), (Decimal(value) / 100).quantize(Decimal(1)) * 100)


def _final_stages(tf, rng):
    """The stage each project of a task force ends at: counts proportional to the
    weights (largest remainder, so small task forces get a real mix), shuffled."""
    weights = dict(STAGE_WEIGHTS)
    s = tf["strength"]
    # Strong task forces move more projects into negotiation and signing;
    # weak ones keep more in reserve and drop more.
    weights["negotiating"] *= s ** 3
    weights["signed"] *= s ** 2
    weights["reserve"] /= s
    weights["dropped"] /= s
    total = sum(weights.values())
    exact = {stage: w * tf["size"] / total for stage, w in weights.items()}
    counts = {stage: int(x) for stage, x in exact.items()}
    by_remainder = sorted(exact, key=lambda st: exact[st] - counts[st], reverse=True)
    for stage in by_remainder[:tf["size"] - sum(counts.values())]:
        counts[stage] += 1
    stages = [stage for stage, _ in STAGE_WEIGHTS for _ in range(counts[stage])]
    rng.shuffle(stages)
    return stages


def _timeline(plan, tf, final, today, rng):
    dropped = final == "dropped"
    if dropped:  # the stage it reached before being dropped
        final = rng.choice(["reserve", "packaged", "negotiating", "negotiating", "signed"])
    path = list(pipeline.ORDER[:pipeline.ORDER.index(final) + 1])
    if len(path) > 1 and rng.random() < 0.2:
        path = path[1:]  # created directly at 策划包装 (arrived already packaged)

    # Date of the last stage event: recent for live projects; some stale ones
    # (60/90/180+ days without progress), more of them in weaker task forces.
    open_pipeline = final in ("reserve", "packaged", "negotiating", "signed")
    stale_share = 0.08 + 0.12 * max(0.0, 1.2 - tf["strength"])
    roll = rng.random() / stale_share if stale_share else 9
    plan.stale = open_pipeline and not dropped and roll < 1
    last = today - datetime.timedelta(days=_days_since_last(final, dropped, open_pipeline, roll,
                                                            today, rng))
    _steps(plan, path, last, dropped, today, rng)


def _days_since_last(final, dropped, open_pipeline, roll, today, rng):
    """Days from the last stage event to ``today``."""
    days_this_year = (today - datetime.date(today.year, 1, 1)).days
    if dropped:
        return rng.randint(10, 420)
    if open_pipeline and roll < 0.35:
        return rng.randint(62, 85)
    if open_pipeline and roll < 0.7:
        return rng.randint(92, 170)
    if open_pipeline and roll < 1:
        return rng.randint(185, 320)
    if final == "signed":
        # Signed at any time this year (a few last year); paid-in capital keeps
        # the project fresh until it starts.
        return rng.randint(1, max(days_this_year + 60, 2))
    if final == "negotiating":
        return rng.randint(1, 59)
    if open_pipeline:
        return rng.randint(1, 55)
    return rng.randint(15, 460)  # under way: started/produced this year or last year


def _steps(plan, path, last, dropped, today, rng):
    """The plan's dated stage steps along ``path``, ending on ``last`` (then 退库 when
    ``dropped``), squeezed into last year and this year."""
    first_day = datetime.date(today.year - 1, 1, 5)
    gaps = [rng.randint(*GAP_DAYS[stage]) for stage in path[1:]]
    if dropped:
        gaps.append(rng.randint(15, 120))
    span = sum(gaps)
    start = last - datetime.timedelta(days=span)
    if start < first_day:  # squeeze the history into last year + this year
        available = max((last - first_day).days, len(gaps))
        gaps = [max(1, g * available // max(span, 1)) for g in gaps]
        start = last - datetime.timedelta(days=sum(gaps))
    day = start
    plan.steps.append(Step(path[0], day, "新建项目" if path[0] == "reserve" else "项目策划包装入库"))
    for stage, gap in zip(path[1:], gaps):
        day += datetime.timedelta(days=gap)
        plan.steps.append(Step(stage, day, _stage_note(stage, plan)))
    if dropped:
        day += datetime.timedelta(days=gaps[-1])
        plan.steps.append(Step("dropped", day, reason=rng.choice(DROP_REASONS)))
    plan.next_step = NEXT_STEPS[plan.steps[-1].stage]
    if plan.steps[-1].stage in ("packaged", "negotiating"):
        plan.expected_sign_date = min(
            datetime.date(today.year, 12, 31),
            today + datetime.timedelta(days=rng.randint(10, 120)))


def _stage_note(stage, plan):
    return {
        "packaged": "完成项目策划包装，纳入专班项目库。",
        "negotiating": f"与{plan.investor}开展实质性洽谈。",
        "signed": "举行签约仪式。",
        "started": "项目开工建设。",
        "producing": "项目竣工投产。",
        "at_capacity": "项目达产达效。",
    }.get(stage, "")


def _reached(plan, stage):
    """Date the plan first reached (or skipped past) ``stage``; None when never."""
    target = pipeline.ORDER.index(stage)
    for step in plan.steps:
        if step.stage in pipeline.ORDER and pipeline.ORDER.index(step.stage) >= target:
            return step.on
    return None


def _scale_to_strength(plans, tf, today, rng):
    """Scale amounts so the task force's packaged/signed values this year land near
    strength × time share × annual target (mixed performance across task forces)."""
    time_share = Decimal(max(today.month - 1, 1)) / 12  # months fully elapsed
    goal_packaged = ANNUAL_PACKAGED * time_share * Decimal(str(tf["strength"]))
    goal_signed = ANNUAL_SIGNED * time_share * Decimal(str(tf["strength"])) \
        * Decimal(str(round(rng.uniform(0.85, 1.15), 2)))
    this_year = [p for p in plans if (_reached(p, "packaged") or datetime.date.min).year
                 == today.year]
    current = sum((p.planned for p in this_year), Decimal(0))
    if current:
        factor = goal_packaged / current
        for p in this_year:
            p.planned = _round100(p.planned * factor)
    for p in plans:
        if _reached(p, "signed"):
            p.contract = _round100(p.planned * Decimal(str(round(rng.uniform(0.5, 1.0), 2))))
            p.signing_grade = rng.choices(["contract", "framework", "intent"], [6, 3, 1])[0]
    signed_this_year = [p for p in plans if (_reached(p, "signed") or datetime.date.min).year
                        == today.year]
    current = sum((p.contract for p in signed_this_year), Decimal(0))
    if current:
        factor = goal_signed / current
        for p in signed_this_year:
            p.contract = _round100(p.contract * factor)
            p.planned = max(p.planned, p.contract)


def _money_events(plan, today, rng):
    """Fund receipts for projects under way, and some capital increases."""
    signed_on = _reached(plan, "signed")
    if signed_on is None:
        return
    started_on = _reached(plan, "started")
    dropped = plan.steps[-1].stage == "dropped"
    if started_on is not None:
        # Receipts every 1-4 months from the start, until the contract value is in.
        end = plan.steps[-1].on if dropped else today
        left = plan.contract * Decimal(str(round(rng.uniform(0.6, 1.0), 2)))
        day = started_on + datetime.timedelta(days=rng.randint(5, 40))
        while day <= end and left >= 100:
            amount = min(left, _round100(plan.contract * Decimal(str(rng.uniform(0.05, 0.2)))))
            plan.funds.append(_receipt(plan, day, amount, rng))
            left -= amount
            day += datetime.timedelta(days=rng.randint(30, 120))
    elif not dropped and not plan.stale:
        # Signed, not started yet: registered capital paid in every 1-2 months.
        day = signed_on + datetime.timedelta(days=rng.randint(10, 45))
        while day <= today:
            amount = _round100(plan.contract * Decimal(str(rng.uniform(0.02, 0.06))))
            plan.funds.append(_receipt(plan, day, amount, rng))
            day += datetime.timedelta(days=rng.randint(30, 65))
    if not dropped and not plan.stale and rng.random() < 0.2 \
            and (today - signed_on).days > 90:
        day = signed_on + datetime.timedelta(days=rng.randint(60, (today - signed_on).days))
        amount = _round100(plan.contract * Decimal(str(round(rng.uniform(0.1, 0.4), 2))))
        plan.increases.append((day, amount, "企业追加投资（增资扩产）。"))


def _balance_county_funds(plans, today):
    """Scale this year's receipts per county so 到位资金 to date grows by COUNTY_GROWTH
    over the same period last year (some counties beat the +20% goal, some miss it)."""
    same_day_last_year = _same_day(today, today.year - 1)
    for code, growth in COUNTY_GROWTH.items():
        mine = [p for p in plans if p.county == code]
        last = sum((f[1] for p in mine for f in p.funds
                    if f[0].year == today.year - 1 and f[0] <= same_day_last_year), Decimal(0))
        now = sum((f[1] for p in mine for f in p.funds if f[0].year == today.year), Decimal(0))
        if not last or not now:
            continue
        # Meet in the middle: this year's receipts shrink as much as last year's grow.
        factor = (last * (1 + Decimal(str(growth))) / now).sqrt()
        for p in mine:
            p.funds = [_scaled(f, factor) if f[0].year == today.year else
                       _scaled(f, 1 / factor) if f[0].year == today.year - 1
                       and f[0] <= same_day_last_year else f for f in p.funds]


def _same_day(day, year):
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def _scaled(receipt, factor):
    day, amount, currency, original, rate, layer = receipt
    if currency == "USD":
        original = max(Decimal("0.01"), (original * factor).quantize(Decimal("0.01")))
        return (day, (original * rate).quantize(Decimal("0.01")), currency, original, rate, layer)
    return (day, max(Decimal(1), (amount * factor).quantize(Decimal(1))), currency, None, None,
            layer)


def _receipt(plan, day, amount, rng):
    if plan.capital_type == "foreign":
        rate = Decimal("7.1200")
        original = (amount / rate).quantize(Decimal("0.01"))
        return (day, (original * rate).quantize(Decimal("0.01")), "USD", original, rate, "境外")
    layer = "市外省内" if plan.investor_region == "省内" else "省外"
    return (day, amount, "CNY", None, None, layer)
