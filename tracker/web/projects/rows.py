"""The ledger's table rows (templates/projects/_ledger_row.html), rendered once per process
for each content of a row: the key is everything a row shows, so an edit, a receipt, a
renamed task force or county, another owner or another time zone is a new key and never a
stale row. A row costs ~50 µs of Jinja; a known one a tuple and a dict look-up."""
from flask import current_app

ROW_TEMPLATE = "projects/_ledger_row.html"
_ROWS = {}        # key -> Markup of one <tr>
_ROWS_MAX = 4000  # ~1 KB each; cleared when full


def _name(item):
    return None if item is None else item.name


def row_key(p):
    """Every value the row template shows of ``p`` (a services.ledger.listing.LedgerRow)."""
    return (p.id, p.name, p.tags, _name(p.task_force), p.county_id, _name(p.county),
            p.investor, p.planned_investment, p.contract_value, p.funds_total, p.stage,
            p.owner_name, p.last_progress_on, p.updated_at)


def rendered(rows, project_path):
    """The <tr> of each row (Markup), from the per-process cache where known."""
    macro = current_app.jinja_env.get_template(ROW_TEMPLATE).module.row
    context = (current_app.config.get("TIMEZONE"), project_path)   # localtime; the links
    out = []
    for p in rows:
        key = (context, row_key(p))
        html = _ROWS.get(key)
        if html is None:
            if len(_ROWS) >= _ROWS_MAX:
                _ROWS.clear()
            html = _ROWS[key] = macro(p, project_path)
        out.append(html)
    return out
