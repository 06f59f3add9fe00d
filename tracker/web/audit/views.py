"""审计日志 (bureau/admin): every audit row, newest first, with filters, and the login
history of one user or of everyone. Filter values that cannot apply are ignored and
named above the table, never an error."""
from flask import Blueprint, render_template, request

from ...services.accounts import audit_log
from ...services.pagination import page_number
from ..permissions import bureau_required
from . import forms

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.before_request
@bureau_required
def guard():
    return None


def _args(filters):
    """Query-string values of the filters in force (for the pager and the links)."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items()}


@bp.route("/")
def index():
    form = forms.AuditFilterForm(request.args)
    values, messages = form.values()
    found = audit_log.listing(values, page_number(request.args.get("page")))
    page = found.page
    return render_template("audit/index.html", form=form, rows=page.rows, page=page.page,
                           pages=page.pages, total=page.total, args=_args(found.filters),
                           messages=messages + found.messages)


@bp.route("/logins")
def logins():
    form = forms.LoginFilterForm(request.args)
    found = audit_log.logins(form.username())
    return render_template("audit/logins.html", form=form, rows=found.rows, user=found.user,
                           limit=found.limit, messages=found.messages)
