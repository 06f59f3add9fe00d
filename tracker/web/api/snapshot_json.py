"""GET /api/v1/snapshots: query parsing and the JSON shape of frozen quarter figures."""
from dataclasses import dataclass
from decimal import Decimal

from ... import clock
from ...domain import metrics as M
from ...domain import periods
from ..period import MAX_YEAR, MIN_YEAR


@dataclass(frozen=True)
class QuarterQuery:
    year: int | None
    quarter: int | None
    errors: dict  # argument name -> zh-CN message (empty when the arguments were valid)


def parse_quarter_query(args):
    """``year`` (YYYY, default this year) and ``quarter`` (1–4, required) from ``args``."""
    errors = {}
    raw_year = (args.get("year") or "").strip()
    raw_quarter = (args.get("quarter") or "").strip()
    year = quarter = None
    if not raw_year:
        year = clock.today().year
    elif raw_year.isdigit() and MIN_YEAR <= int(raw_year) <= MAX_YEAR:
        year = int(raw_year)
    else:
        errors["year"] = f"年份无效：{raw_year[:20]}（应为 {MIN_YEAR}–{MAX_YEAR} 之间的四位数字）。"
    if not raw_quarter:
        errors["quarter"] = "请指定季度：quarter=1、2、3 或 4。"
    elif raw_quarter in ("1", "2", "3", "4"):
        quarter = int(raw_quarter)
    else:
        errors["quarter"] = f"季度无效：{raw_quarter[:20]}（应为 1、2、3 或 4）。"
    return QuarterQuery(year, quarter, errors)


def _dec(value):
    return None if value is None else f"{Decimal(value):.2f}"


def _count(value):
    return None if value is None else int(Decimal(value))


def _utc(moment):
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def figure_json(f):
    """One frozen metric: amounts as decimal strings in 万元 (counts of ``negotiations`` as
    integers; its checkpoint and catch-up target, shares of a count, stay decimal strings);
    percentages as decimal strings in percent; frozen_at in UTC."""
    amount = _count if M.unit(f.metric) == "个" else _dec
    return {
        "label": M.label(f.metric),
        "unit": M.unit(f.metric),
        "target": amount(f.target),
        "target_version": f.target_version,
        "checkpoint_share": _dec(f.checkpoint_share),
        "checkpoint": _dec(f.checkpoint_target),
        "catch_up_target": _dec(f.catch_up_target),
        "quarter_actual": amount(f.quarter_actual),
        "cumulative_actual": amount(f.cumulative_actual),
        "completion": _dec(f.completion),
        "time_progress": _dec(f.time_progress),
        "gap_points": _dec(f.gap_points),
        "status": f.status,
        "frozen_at": _utc(f.frozen_at),
    }


def snapshots_json(year, quarter, figures):
    teams = {}
    for f in figures:
        team = teams.setdefault(f.code, {"name": f.name, "kind": f.kind, "metrics": {}})
        team["metrics"][f.metric] = figure_json(f)
    return {"year": year, "quarter": quarter, "key": periods.quarter_key(year, quarter),
            "frozen": bool(teams), "task_forces": teams}
