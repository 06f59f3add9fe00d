"""Project ledger pages: list with filters, create/edit, detail with timeline,
and the stage / funds / capital-increase / 退库 actions."""
import math

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, \
    request, url_for
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from ... import clock
from ...domain import pipeline
from ...models import Project, TaskForce
from ...services import ledger as ledger_queries
from ...services import projects as service
from ...domain.errors import ValidationError
from . import forms
from ..permissions import require_edit

bp = Blueprint("projects", __name__, url_prefix="/projects")


def _editable_teams(include=None):
    """Active task forces the current user may put projects in (plus ``include``)."""
    query = TaskForce.select().where(TaskForce.active == True)  # noqa: E712
    if not current_user.sees_all:
        query = query.where(TaskForce.id.in_(current_user.task_force_ids() or {0}))
    teams = list(query.order_by(TaskForce.code))
    if include is not None and include.id not in {t.id for t in teams}:
        teams.insert(0, include)
    return teams


def _get_project(project_id):
    return get_object_or_404(Project, Project.id == project_id)


def _can_edit(project):
    return current_user.can_edit_task_force(project.task_force_id)


# --- list ---------------------------------------------------------------------

def _ledger_filters():
    form = forms.LedgerFilterForm(request.args)
    values = form.values()
    args = {k: v for k, v in values.items() if v not in (None, "")}
    return form, values, args


@bp.route("/")
def ledger():
    form, values, args = _ledger_filters()
    query = ledger_queries.filtered(values)
    per_page = current_app.config.get("PER_PAGE", 25)
    summary = ledger_queries.totals(query)
    pages = max(1, math.ceil(summary["count"] / per_page))
    try:
        page = min(max(1, int(request.args.get("page", 1))), pages)
    except ValueError:
        page = 1
    rows = list(query.paginate(page, per_page))
    can_create = bool(_editable_teams())
    return render_template("projects/ledger.html", form=form, rows=rows, page=page, pages=pages,
                           args=args, summary=summary, values=values, sorts=forms.SORTS,
                           can_create=can_create)


@bp.route("/export.xlsx")
def export():
    _, values, _ = _ledger_filters()
    data = ledger_queries.export_xlsx(ledger_queries.filtered(values))
    filename = f"project-ledger-{clock.today().isoformat()}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


# --- create / edit ------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
def create():
    teams = _editable_teams()
    if not teams:
        abort(403)
    form = forms.NewProjectForm(teams=teams)
    if request.method == "GET" and request.args.get("tf"):
        try:
            form.task_force.data = int(request.args["tf"])
        except ValueError:
            pass
    other_errors = []
    if form.validate_on_submit():
        try:
            project = service.create_project(
                current_user, stage=form.stage.data, on=form.on.data, **form.ledger_fields())
        except ValidationError as exc:
            other_errors = forms.apply_errors(form, exc.errors)
        else:
            flash(f"已新建项目「{project.name}」。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None,
                           other_errors=other_errors)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
def edit(project_id):
    project = _get_project(project_id)
    require_edit(project.task_force_id)
    teams = _editable_teams(include=project.task_force)
    form = forms.ProjectForm(obj=None if request.method == "POST" else _form_data(project),
                             teams=teams)
    other_errors = []
    if form.validate_on_submit():
        fields = form.ledger_fields()
        if fields["task_force"] == project.task_force_id:
            fields.pop("task_force")  # unchanged: allowed even if the team is inactive now
        try:
            service.update_project(current_user, project, **fields)
        except ValidationError as exc:
            other_errors = forms.apply_errors(form, exc.errors)
        else:
            flash("项目信息已保存。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project,
                           other_errors=other_errors)


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _form_data(project):
    data = {name: getattr(project, name) for name in (
        "name", "investor", "investor_region", "capital_type", "industry", "planned_investment",
        "contract_value", "expected_sign_date", "contact", "next_step", "problems")}
    data.update(task_force=project.task_force_id, county=project.county_id,
                owner=project.owner_id, tags=project.tag_list,
                signing_grade=project.signing_grade or "")
    return _Obj(**data)


# --- detail and actions ---------------------------------------------------------

def _action_forms(project):
    next_stage = pipeline.ORDER[min(pipeline.rank(project.stage) + 1, len(pipeline.ORDER) - 1)] \
        if project.stage in pipeline.ORDER else pipeline.RESERVE
    stage_form = forms.StageForm(prefix="stage", formdata=None, stage=next_stage)
    return {
        "stage_form": stage_form,
        "funds_form": forms.FundsForm(prefix="funds", formdata=None),
        "increase_form": forms.IncreaseForm(prefix="inc", formdata=None),
        "drop_form": forms.DropForm(prefix="drop", formdata=None),
    }


def _render_detail(project, status=200, **action_forms):
    context = _action_forms(project)
    context.update(action_forms)
    receipts, fund_totals = ledger_queries.funds(project)
    increases, increase_total = ledger_queries.capital_increases(project)
    return render_template(
        "projects/detail.html", project=project, can_edit=_can_edit(project),
        timeline=ledger_queries.timeline(project), receipts=receipts, fund_totals=fund_totals,
        increases=increases, increase_total=increase_total,
        reached=[(pipeline.label(s), project.first_reached()[s])
                 for s in pipeline.MILESTONE_STAGES],
        signing_grades=pipeline.SIGNING_GRADES, **context), status


@bp.route("/<int:project_id>")
def detail(project_id):
    return _render_detail(_get_project(project_id))


def _action(project_id, form_class, prefix, key, run, success):
    """Shared POST handling: permission, validation, service call, error mapping."""
    project = _get_project(project_id)
    require_edit(project.task_force_id)
    form = form_class(prefix=prefix)
    if form.validate_on_submit():
        try:
            run(project, form)
        except ValidationError as exc:
            rest = forms.apply_errors(form, exc.errors)
            for message in rest:
                flash(message, "danger")
        else:
            flash(success, "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    flash("提交未成功，请按提示修改。", "danger")
    return _render_detail(project, 200, **{key: form})


@bp.route("/<int:project_id>/stage", methods=["POST"])
def change_stage(project_id):
    def run(project, form):
        service.change_stage(current_user, project, form.stage.data, on=form.on.data,
                             note=form.note.data or "", contract_value=form.contract_value.data,
                             signing_grade=form.signing_grade.data or None)
    return _action(project_id, forms.StageForm, "stage", "stage_form", run, "阶段已更新。")


@bp.route("/<int:project_id>/funds", methods=["POST"])
def record_funds(project_id):
    def run(project, form):
        service.record_funds(current_user, project, received_on=form.received_on.data,
                             amount=form.amount.data, currency=form.currency.data,
                             original_amount=form.original_amount.data,
                             exchange_rate=form.exchange_rate.data,
                             source_layer=form.source_layer.data, evidence=form.evidence.data)
    return _action(project_id, forms.FundsForm, "funds", "funds_form", run, "到位资金已登记。")


@bp.route("/<int:project_id>/increase", methods=["POST"])
def capital_increase(project_id):
    def run(project, form):
        service.add_capital_increase(current_user, project, on=form.on.data,
                                     amount=form.amount.data, note=form.note.data or "")
    return _action(project_id, forms.IncreaseForm, "inc", "increase_form", run, "增资已登记。")


@bp.route("/<int:project_id>/drop", methods=["POST"])
def drop(project_id):
    def run(project, form):
        service.change_stage(current_user, project, pipeline.DROPPED, on=form.on.data,
                             reason=form.reason.data or "")
    return _action(project_id, forms.DropForm, "drop", "drop_form", run, "项目已退库。")
