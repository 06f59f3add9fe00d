"""``GET /api/v1/activities``: the follow-up log with the list page's filters, as JSON."""
import datetime

from ...domain import activities as rules
from ...services.ledger.listing import TAGS
from ...services.activities import listing
from .query_args import int_arg

PER_PAGE_MAX = 500


def _date(args, name, errors):
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{name} 应为 YYYY-MM-DD。"
        return None


def parse_query(args, regions):
    """(listing.Filters, page, per_page, {field: message})."""
    errors = {}
    kind = args.get("kind", "")
    if kind and kind not in rules.KINDS:
        errors["kind"] = f"kind 应为 {', '.join(rules.KINDS)} 之一。"
    region = args.get("region", "")
    if region and region not in regions:
        errors["region"] = "region 不在可选范围内。"
    tier = args.get("tier", "")
    if tier and tier not in TAGS:
        errors["tier"] = "tier 不在可选范围内。"
    filters = listing.Filters(
        task_force=int_arg(args, "task_force", errors), kind=kind, region=region, tier=tier,
        leader_led=args.get("leader_led") in ("1", "true"), date_from=_date(args, "from", errors),
        date_to=_date(args, "to", errors), q=args.get("q", "")[:100])
    page = int_arg(args, "page", errors, 1)
    per_page = int_arg(args, "per_page", errors, 100, PER_PAGE_MAX)
    return filters, page, per_page, errors


def activity_json(a, projects):
    return {
        "id": a.id, "task_force": {"id": a.task_force_id, "code": a.task_force.code, "name": a.task_force.name},
        "kind": a.kind, "kind_label": rules.kind_label(a.kind), "date": a.occurred_on.isoformat(),
        "counterpart": a.counterpart, "counterpart_tags": a.tag_list, "region": a.region, "place": a.place,
        "leader_led": a.leader_led, "leader_title": a.leader_title, "summary": a.summary,
        "outcome": a.outcome, "outcome_label": rules.outcome_label(a.outcome), "next_step": a.next_step,
        "next_step_on": a.next_step_on.isoformat() if a.next_step_on else None,
        "projects": [{"id": p.id, "name": p.name} for p in projects.get(a.id, [])],
    }
