"""JSON shape of GET /api/v1/awards (tracker/services/awards/ranking.py): amounts as decimal strings
in 万元, rates, bases, weights and contributions as decimal strings (rates in percent),
counts as integers; a rate without a denominator is null."""
from ...domain import awards as A


def _dec(value):
    return None if value is None else f"{value:.2f}"


def _weight(value):
    return f"{value.normalize():f}"  # 25, 12.5


def part_json(part):
    return {"label": part.label,
            "value": _dec(part.value) if part.is_rate else part.value,
            "basis": _dec(part.basis), "weight": _weight(part.weight),
            "contribution": _dec(part.contribution)}


def row_json(row):
    f = row.facts
    return {"code": f.code, "name": f.name, "rank": row.rank, "score": _dec(row.score),
            "signed": f.signed, "started": f.started, "started_in_year": f.started_in_year,
            "producing": f.producing, "contract_total": _dec(f.contract_total),
            "funds_received": _dec(f.funds_received), "big_projects": f.big_projects,
            "top_investors": f.top_investors,
            "parts": {p.key: part_json(p) for p in row.parts}}


def frozen_json(info):
    if info is None:
        return None
    return {"frozen_at": info.frozen_at.strftime("%Y-%m-%dT%H:%M:%SZ"),  # UTC
            "frozen_by": info.frozen_by, "as_of": info.as_of.isoformat()}


def ranking_json(ranking, frozen_info):
    """The ranking (frozen or live) and the year's freeze, if any."""
    return {
        "year": ranking.year,
        "as_of": ranking.as_of.isoformat(),
        "source": "frozen" if ranking.frozen else "live",
        "frozen": frozen_json(frozen_info),
        "weights": {k: _weight(ranking.weights[k]) for k in A.KEYS},
        "maxima": {k: ranking.maxima.get(k, 0) for k in A.COUNT_KEYS},
        "formula": ranking.formula,
        "task_forces_ranked": ranking.total_teams,
        "task_forces": [row_json(r) for r in ranking.rows],
    }
