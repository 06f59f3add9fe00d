"""Project ledger pages: list with filters, create/edit, detail with timeline, and the
stage / funds / capital-increase / 退库 actions. Each POST parses its form and calls
one service function; the service's messages go next to the fields."""
from flask import Blueprint, abort, current_app, flash, g, redirect, \
    render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ...domain import pipeline
from ...domain.errors import ValidationError
from ...services.activities import listing as activity_listing
from ...services.ledger import corrections
from ...services.reviews import requests as correction_requests
from ...services.ledger import listing as ledger_service
from ...services.ledger import timeline as project_timeline
from ...services.ledger import choices as ledger_choices
from ...services.ledger import history as project_history
from ...services.ledger import projects as service
from ...services.pagination import cursor_args, page_number
from ..forms import apply_errors
from ..helpers import Fragments, IdUrl, QueryUrl
from ..exports import views as export_pages
from ..permissions import require_edit
from ..supervision import todo as supervision_todo
from ... import settings
from . import forms, rows

bp = Blueprint("projects", __name__, url_prefix="/projects")
TOP = Fragments("projects/_ledger_top.html")
HEAD = Fragments("projects/_ledger_head.html")
PAGER = Fragments("projects/_ledger_pager.html")


def _user():
    return current_user._get_current_object()


# --- list ---------------------------------------------------------------------

def _member_of():
    """Ids of the current user's task forces, read once per request."""
    if "member_of" not in g:
        g.member_of = ledger_choices.member_task_force_ids(current_user.id)
    return g.member_of


def _landing_args():
    """A member's or lead's ledger opens on 本专班, latest progress first."""
    if request.args or _user().sees_all or not _member_of():
        return request.args
    return MultiDict({"scope": "team", "sort": "progress", "dir": "desc"})


def _scope_filters(values):
    """本专班 = the user's task forces, 我负责的 = owner is the user (service filter keys)."""
    user = _user()
    if values.get("scope") == "team":
        return dict(values, teams=_member_of())
    if values.get("scope") == "mine":
        return dict(values, owner=user.id)
    return values


def _ledger_filters(teams=None, counties=None):
    if teams is None:
        teams, counties = ledger_choices.filter_choices()
    form, values = forms.parse_filters(_landing_args(), teams, counties)
    args = {k: v for k, v in values.items() if v not in (None, "")}
    return form, _scope_filters(values), args


@bp.route("/")
def ledger():
    # the filter choices are loaded once: the form's options and the rows' names
    teams, counties = ledger_choices.filter_choices()
    form, values, args = _ledger_filters(teams, counties)
    page, summary = ledger_service.ledger_page(
        values, page_number(request.args.get("page")),
        values.get("per") or current_app.config["PER_PAGE"],
        cursor=cursor_args(request.args.get("after"), request.args.get("before")),
        teams=teams, counties_=counties)
    ledger_url = QueryUrl("projects.ledger")
    can_create = ledger_choices.can_create(_user(), teams, _member_of())
    # a member lands here (web.index): their 待办督办 on the first view (no query string)
    todo_html = "" if request.args else supervision_todo.todo_html()
    return render_template("projects/ledger.html", rows=page.rows, summary=summary,
                           values=values, scopes=forms.SCOPES, todo_html=todo_html,
                           top_html=_top(form, values, args, ledger_url, can_create),
                           **_table(values, args, page, ledger_url))


def _top(form, values, args, ledger_url, can_create):
    """The page's actions, quick filters and filter form (kept per process by state)."""
    context = {"scope": values.get("scope"), "per": values.get("per"), "clear": bool(args),
               "has_team": bool(_member_of()), "can_create": can_create,
               "action": ledger_url(), "export_url": url_for("projects.export", **args)}
    key = (form.state_key(), *context.values())
    return TOP.render(key, form=form, scopes=forms.SCOPES, ledger_url=ledger_url, **context)


def _table(values, args, page, ledger_url):
    """The table's head, rows and pager (each kept per process by what it shows)."""
    if not page.rows:
        return {}
    state, sort, direction = tuple(args.items()), values["sort"], values["dir"]
    return {
        "head_html": HEAD.render((state, sort, direction), args=args, sort=sort,
                                 dir=direction, ledger_url=ledger_url),
        "pager_html": PAGER.render(
            (state, page.page, page.pages, page.prev_cursor, page.next_cursor), args=args,
            page=page.page, pages=page.pages, prev_cursor=page.prev_cursor,
            next_cursor=page.next_cursor, ledger_url=ledger_url),
        "row_html": rows.rendered(page.rows, IdUrl("projects.detail", "project_id").prefix),
    }


@bp.route("/export.xlsx", methods=["GET", "POST"])
def export():
    """The filtered ledger as .xlsx (services.ledger.export), named per RFC 6266; more than
    EXPORT_JOB_ROWS projects: written by an export job (web.exports, issue 18)."""
    _, values, args = _ledger_filters()
    return export_pages.ledger_export(values, args)


# --- create / edit ------------------------------------------------------------

def _choices(include_id=None, owner_id=None):
    """The form's lists; 责任人: the members and leads of the task forces offered."""
    teams = ledger_choices.editable_teams(_user(), include_id)
    return {"teams": teams, "counties": ledger_choices.counties(active_only=True),
            "owners": ledger_choices.owners(teams, owner_id)}


@bp.route("/new", methods=["GET", "POST"])
def create():
    choices = _choices()
    if not choices["teams"]:
        abort(403)
    form = forms.NewProjectForm(**choices)
    if request.method == "GET" and request.args.get("tf", "").isdigit():
        form.task_force.data = int(request.args["tf"])
    other_errors = []
    if form.validate_on_submit():
        try:
            project = service.create_project(
                _user(), stage=form.stage.data, on=form.on.data, closed_reason=form.closed_reason.data,
                **form.ledger_fields())
        except ValidationError as exc:
            other_errors = apply_errors(form, exc.errors)
        else:
            if _filed(project):
                return redirect(url_for("corrections.show", request_id=project.id))
            flash(f"已新建项目「{project.name}」（"
                  f"{forms.stored('计划投资额', project.planned_investment)}）。", "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor="top"))
    return render_template("projects/form.html", form=form, project=None,
                           other_errors=other_errors, closed_help=_closed_help())


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
def edit(project_id):
    project = service.get_project(project_id)
    require_edit(project.task_force_id)
    form = forms.EditProjectForm(obj=None if request.method == "POST" else _form_data(project),
                                 **_choices(project.task_force_id, project.owner_id))
    other_errors = []
    if form.validate_on_submit():
        try:
            saved = service.update_project(_user(), project.id, version=form.version.data or None,
                                           closed_reason=form.closed_reason.data,
                                           **form.change_fields(), **form.ledger_fields())
        except ValidationError as exc:
            other_errors = apply_errors(form, exc.errors)
        else:
            if not _filed(saved):
                flash(f"项目信息已保存（{_stored_amounts(saved)}）。", "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor="top"))
    return render_template("projects/form.html", form=form, project=project,
                           other_errors=other_errors, closed_help=_closed_help())


def _stored_amounts(project):
    """"计划投资额 = 15,000.00 万元，签约额 = …" of a saved project."""
    shown = [forms.stored("计划投资额", project.planned_investment)]
    if project.contract_value is not None:
        shown.append(forms.stored("签约额", project.contract_value))
    return "，".join(shown)


def _timeline(project):
    """The ledger's timeline with the follow-up log's activities on the project, newest first."""
    items = project_timeline.timeline(project) + activity_listing.timeline_items(project.id)
    return sorted(items, key=lambda i: (i["on"], i["created_at"]), reverse=True)


def _closed_help():
    start = corrections.closed_quarter_start().isoformat()
    if current_user.sees_all:
        return (f"仅当日期早于 {start}（已结束的季度）时必填：补录原因记入审计日志，"
                "已冻结的季度快照保留原数。")
    return (f"仅当日期早于 {start}（已结束的季度）时填写：将作为更正申请提交，"
            "商务局审核通过后才写入台账。")


def _filed(result):
    """Flash what a write that became a 更正申请 did; True when it did."""
    if not correction_requests.is_request(result):
        return False
    flash(f"该修改涉及已结束的季度，已提交更正申请 #{result.id}，商务局审核通过后才写入台账。", "info")
    return True


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _form_data(project):
    data = {name: getattr(project, name) for name in (
        "name", "investor", "investor_region", "capital_type", "industry", "planned_investment",
        "contract_value", "expected_sign_date", "contact", "next_step", "problems", "version")}
    data.update(task_force=project.task_force_id, county=project.county_id,
                owner=project.owner_id, tags=project.tag_list,
                signing_grade=project.signing_grade or "")
    return _Obj(**data)


# --- detail and actions ---------------------------------------------------------

def _action_forms(project):
    next_stage = pipeline.ORDER[min(pipeline.rank(project.stage) + 1, len(pipeline.ORDER) - 1)] \
        if project.stage in pipeline.ORDER else pipeline.RESERVE
    return {
        "stage_form": forms.StageForm(prefix="stage", formdata=None, stage=next_stage,
                                      expected_stage=project.stage),
        "funds_form": forms.FundsForm(prefix="funds", formdata=None),
        "increase_form": forms.IncreaseForm(prefix="inc", formdata=None),
        "drop_form": forms.DropForm(prefix="drop", formdata=None, expected_stage=project.stage),
    }


def _render_detail(project, status=200, **action_forms):
    context = _action_forms(project)
    context.update(action_forms)
    receipts, fund_totals = project_timeline.funds(project)
    increases, increase_total = project_timeline.capital_increases(project)
    latest = corrections.latest_stage_event(project.id)
    return render_template(
        "projects/detail.html", project=project,
        can_edit=current_user.can_edit_task_force(project.task_force_id),
        timeline=_timeline(project), receipts=receipts, fund_totals=fund_totals,
        increases=increases, increase_total=increase_total,
        reached=[(pipeline.label(s), project.first_reached()[s])
                 for s in pipeline.MILESTONE_STAGES],
        signing_grades=pipeline.SIGNING_GRADES, void_form=forms.VoidForm(formdata=None),
        latest_stage_id=latest.id if latest else None,
        closed_before=corrections.closed_quarter_start(), can_void_closed=current_user.sees_all,
        correction_requests=correction_requests.of_project(project.id),
        project_items=supervision_todo.project_context(project.id),
        closed_help=_closed_help(),
        history=project_history.history(project, page_number(request.args.get("page")),
                                        current_app.config["PER_PAGE"]),
        **context), status


@bp.route("/<int:project_id>")
def detail(project_id):
    return _render_detail(service.get_project(project_id))


def _action(project_id, form_class, prefix, key, run, success):
    """Shared POST handling: permission, parsing, one service call, error mapping."""
    project = service.get_project(project_id)
    require_edit(project.task_force_id)
    form = form_class(prefix=prefix)
    rest = []
    if form.validate_on_submit():
        try:
            result = run(project.id, form)
        except ValidationError as exc:
            rest = apply_errors(form, exc.errors)
        else:
            if not _filed(result):
                flash(success(result) if callable(success) else success, "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor="top"))
    # the messages are shown in the form's own section, where the page opens (#anchor)
    return _render_detail(service.get_project(project_id), 200,
                          **{key: form, "failed": {"form": key, "messages": rest}})


@bp.route("/<int:project_id>/stage", methods=["POST"])
def change_stage(project_id):
    def run(pid, form):
        made = service.change_stage(_user(), pid, form.stage.data, on=form.on.data,
                                    note=form.note.data, contract_value=form.contract_value.data,
                                    signing_grade=form.signing_grade.data or None,
                                    expected_stage=form.expected_stage.data or None,
                                    closed_reason=form.closed_reason.data)
        if correction_requests.is_request(made):
            return made
        return service.get_project(pid).contract_value if form.contract_value.data else None

    def success(value):
        return "阶段已更新。" if value is None else f"阶段已更新（{forms.stored('签约额', value)}）。"
    return _action(project_id, forms.StageForm, "stage", "stage_form", run, success)


@bp.route("/<int:project_id>/funds", methods=["POST"])
def record_funds(project_id):
    def run(pid, form):
        return service.record_funds(_user(), pid, received_on=form.received_on.data,
                             amount=form.amount.data, currency=form.currency.data,
                             original_amount=form.original_amount.data,
                             exchange_rate=form.exchange_rate.data,
                             source_layer=form.source_layer.data, evidence=form.evidence.data,
                             closed_reason=form.closed_reason.data)
    return _action(project_id, forms.FundsForm, "funds", "funds_form", run,
                   lambda r: f"到位资金已登记（{forms.stored('到位金额', r.amount)}）。")


@bp.route("/<int:project_id>/increase", methods=["POST"])
def capital_increase(project_id):
    def run(pid, form):
        return service.add_capital_increase(_user(), pid, on=form.on.data,
                                            amount=form.amount.data, note=form.note.data,
                                            closed_reason=form.closed_reason.data)
    return _action(project_id, forms.IncreaseForm, "inc", "increase_form", run,
                   lambda r: f"增资已登记（{forms.stored('增资金额', r.amount)}）。")


@bp.route("/<int:project_id>/drop", methods=["POST"])
def drop(project_id):
    def run(pid, form):
        return service.change_stage(_user(), pid, pipeline.DROPPED, on=form.on.data,
                                    reason=form.reason.data,
                                    expected_stage=form.expected_stage.data or None,
                                    closed_reason=form.closed_reason.data)
    return _action(project_id, forms.DropForm, "drop", "drop_form", run, "项目已退库。")


@bp.route("/<int:project_id>/void", methods=["POST"])
def void(project_id):
    """作废 a fund receipt, a capital increase or the latest stage event."""
    project = service.get_project(project_id)
    require_edit(project.task_force_id)
    form = forms.VoidForm()
    if form.validate_on_submit():
        try:
            voided = corrections.void(_user(), project.id, form.kind.data, form.item_id.data,
                                      form.reason.data, stale=settings.stale())
        except ValidationError as exc:
            for message in exc.errors.values():
                flash(f"作废未成功：{message}", "danger")
        else:
            if not _filed(voided):
                flash("记录已作废，相关统计已重新计算。", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    else:
        flash("作废未成功：页面已过期，请刷新后重试。", "danger")
    return _render_detail(service.get_project(project_id), 200)
