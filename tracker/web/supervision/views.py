"""督办 pages (tracker/services/supervision): everyone reads their task forces' items (the bureau
all); the bureau 交办, 办结 and 退回; the responsible task force 反馈进展. Each POST calls one
service function; its messages go next to the fields."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import clock
from ...domain import supervision as rules
from ...domain.errors import ValidationError
from ...services.activities import listing as activity_listing
from ...services.ledger import choices as ledger_choices
from ...services.pagination import page_number, paginate
from ...services.supervision import export as supervision_export
from ...services.supervision import items, listing
from ..forms import apply_errors
from ..permissions import bureau_required
from . import forms

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def _filters():
    args = request.args
    team = args.get("task_force", "")
    return listing.Filters(
        state=args.get("state", "") if args.get("state") in rules.STATES else "",
        task_force=int(team) if team.isdigit() and len(team) < 10 else None,
        priority=args.get("priority", "") if args.get("priority") in rules.PRIORITIES else "",
        overdue=args.get("overdue") == "1", this_week=args.get("week") == "1")


@bp.route("/")
def index():
    filters = _filters()
    page = paginate(listing.filtered(current_user, filters), page_number(request.args.get("page")),
                    current_app.config["PER_PAGE"])
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("supervision/index.html", page=page, args=args, filters=filters,
                           counts=listing.counts(current_user), today=clock.today(), rules=rules,
                           teams=ledger_choices.editable_teams(current_user) if current_user.sees_all else [])


@bp.route("/export.xlsx")
def export():
    """The list as .xlsx with the list's filters (every role that reads the list)."""
    filters = _filters()
    team = next((t.name for t in ledger_choices.editable_teams(current_user, filters.task_force)
                 if t.id == filters.task_force), None) if filters.task_force else None
    scope = supervision_export.scope_name(filters, team, current_user.sees_all)
    exported = supervision_export.export(current_user, filters, scope)
    return Response(exported.data, mimetype=exported.mimetype,
                    headers={"Content-Disposition": exported.content_disposition()})


def _open_form(formdata=None):
    teams = ledger_choices.editable_teams(current_user)
    return forms.OpenForm(formdata=formdata, teams=teams, people=activity_listing.members([t.id for t in teams]))


@bp.route("/new", methods=["GET", "POST"])
@bureau_required
def create():
    form = _open_form(request.form if request.method == "POST" else None)
    if request.method == "GET" and request.args.get("project", "").isdigit():
        form.project.data = request.args["project"]
    others = []
    if form.validate_on_submit():
        try:
            item = items.open_item(current_user, **form.values())
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
        else:
            flash(f"已交办督办事项 #{item.id}。", "success")
            return redirect(url_for("supervision.show", item_id=item.id))
    return render_template("supervision/form.html", form=form, others=others)


def _readable(item_id):
    item = items.get(item_id)
    if not listing.may_read(current_user, item):
        abort(403)
    return item


@bp.route("/<int:item_id>")
def show(item_id):
    return _render(_readable(item_id))


def _render(item, status=200, **bound):
    context = {"reply_form": forms.ReplyForm(formdata=None), "close_form": forms.CloseForm(formdata=None),
               "reopen_form": forms.ReopenForm(formdata=None)}
    context.update(bound)
    return render_template("supervision/show.html", item=item, thread=listing.thread(item.id), rules=rules,
                           today=clock.today(), may_reply=listing.may_reply(current_user, item),
                           **context), status


def _act(item_id, form_class, key, field, run, success, bureau=False):
    item = _readable(item_id)
    if bureau and not current_user.sees_all:
        abort(403)
    form = form_class()
    if form.validate_on_submit():
        try:
            run(item.id, form[field].data)
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            flash(success, "success")
            return redirect(url_for("supervision.show", item_id=item.id))
    return _render(items.get(item.id), 200, **{key: form})


@bp.route("/<int:item_id>/reply", methods=["POST"])
def reply(item_id):
    return _act(item_id, forms.ReplyForm, "reply_form", "text",
                lambda i, v: items.reply(current_user, i, v), "进展已反馈。")


@bp.route("/<int:item_id>/close", methods=["POST"])
def close(item_id):
    return _act(item_id, forms.CloseForm, "close_form", "note",
                lambda i, v: items.close(current_user, i, v), "已办结。", bureau=True)


@bp.route("/<int:item_id>/reopen", methods=["POST"])
def reopen(item_id):
    return _act(item_id, forms.ReopenForm, "reopen_form", "reason",
                lambda i, v: items.reopen(current_user, i, v), "已退回，事项重新办理。", bureau=True)
