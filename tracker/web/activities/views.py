"""跟进记录 pages (tracker/services/activities): the filtered list everyone may read (their
own task forces', the bureau all), a quick entry form reachable in one tap from a project
page and the ledger, edit and 作废. Each POST calls one service function; its messages go
next to the fields."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import clock, settings
from ...domain import activities as rules
from ...domain.errors import ValidationError
from ...services.activities import export as activity_export
from ...services.activities import listing, log
from ...services.ledger import choices as ledger_choices
from ...services.ledger import projects as project_service
from ...services.pagination import page_number, paginate
from ...services.reviews import requests as correction_requests
from ..forms import apply_errors
from . import forms

bp = Blueprint("activities", __name__, url_prefix="/activities")


def _filters():
    teams = ledger_choices.editable_teams(current_user)
    form = forms.FilterForm(request.args, teams=teams, regions=settings.activity_regions())
    form.validate()
    return form, listing.Filters(
        task_force=_valid(form.task_force), kind=_valid(form.kind) or "", region=_valid(form.region) or "",
        tier=_valid(form.tier) or "", leader_led=bool(form.leader_led.data), date_from=_valid(form.date_from),
        date_to=_valid(form.date_to), q=(form.q.data or "")[:100])


@bp.route("/")
def index():
    form, filters = _filters()
    query = listing.filtered(current_user, filters)
    found = listing.count_capped(query)
    page = paginate(query, page_number(request.args.get("page")), current_app.config["PER_PAGE"],
                    total=min(found, listing.COUNT_CAP))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("activities/index.html", form=form, page=page, args=args,
                           more=found > listing.COUNT_CAP, cap=listing.COUNT_CAP,
                           linked=listing.projects_of(a.id for a in page.rows), kinds=rules.KINDS,
                           outcomes=rules.OUTCOMES)


@bp.route("/outreach")
def outreach():
    """走出去: this year's activities and counterparts per target region."""
    year = clock.today().year
    return render_template("activities/outreach.html", year=year,
                           outreach=listing.outreach(current_user, year, settings.activity_regions()))


@bp.route("/export.xlsx")
def export():
    form, filters = _filters()
    team = next((c.label for c in form.task_force.choices if filters.task_force and c.value == filters.task_force),
                None)
    exported = activity_export.export(current_user, filters, team or ("全部" if current_user.sees_all else "本专班"))
    return Response(exported.data, mimetype=exported.mimetype,
                    headers={"Content-Disposition": exported.content_disposition()})


def _valid(field):
    """A filter's value, or None when it is not one the form offers (a hand-made URL)."""
    return None if field.errors else field.data


def _posted_ids(formdata, name):
    return [int(v) for v in formdata.getlist(name) if v.isdigit() and len(v) < 10][:50]


def _form(activity=None, formdata=None, project=None):
    """The form with its choices. A page offers the latest projects and the members of the
    person's teams; a POST is checked against what it names (the service then checks every
    project and person belongs to the activity's task force), so saving reads no lists."""
    teams = ledger_choices.editable_teams(current_user, activity.task_force_id if activity else None)
    if not teams:
        abort(403)
    team_ids = [project.task_force_id] if project else [t.id for t in teams]
    linked = log.project_ids_of(activity.id) if activity else ([project.id] if project else [])
    if formdata:
        projects = listing.projects_named(linked + _posted_ids(formdata, "projects"))
        people = listing.users_named(_posted_ids(formdata, "participants"))
    else:
        projects, people = listing.project_choices(team_ids, linked), listing.members(team_ids)
    form = forms.ActivityForm(formdata=formdata, teams=teams, projects=projects, people=people,
                              regions=settings.activity_regions())
    return form, linked


def _start(form, project, activity):
    """What the form shows first: the activity's values, or the project and the person's
    last kind and region."""
    if activity is not None:
        for name in ("kind", "occurred_on", "counterpart", "summary", "region", "place", "leader_led",
                     "leader_title", "participants_text", "outcome", "next_step", "next_step_on", "version"):
            form[name].data = getattr(activity, name)
        form.task_force.data = activity.task_force_id
        form.counterpart_tags.data = activity.tag_list
        form.projects.data = log.project_ids_of(activity.id)
        form.participants.data = log.participant_ids_of(activity.id)
        return
    last = listing.last_choices(current_user)
    form.kind.data = last.get("kind", "visit")
    form.region.data = last.get("region", "")
    if project is not None:
        form.task_force.data, form.projects.data = project.task_force_id, [project.id]


@bp.route("/new", methods=["GET", "POST"])
def create():
    project = None
    if request.args.get("project", "").isdigit():
        project = project_service.get_project(request.args["project"])
        if not current_user.can_edit_task_force(project.task_force_id):
            abort(403)
    form, _ = _form(formdata=request.form if request.method == "POST" else None, project=project)
    if request.method == "GET":
        _start(form, project, None)
    others = []
    if form.validate_on_submit():
        try:
            made = log.log(current_user, regions=settings.activity_regions(),
                           closed_reason=form.closed_reason.data, **form.values())
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
        else:
            return _done(made, project, "跟进记录已保存。")
    return render_template("activities/form.html", form=form, activity=None, project=project,
                           others=others), 200


def _done(made, project, message):
    if correction_requests.is_request(made):
        flash(f"该记录在已结束的季度内，已提交更正申请 #{made.id}，商务局审核通过后才写入。", "info")
    else:
        flash(message, "success")
    if project is not None:
        return redirect(url_for("projects.detail", project_id=project.id, _anchor="activities"))
    return redirect(url_for("activities.index"))


def _editable(activity_id):
    activity = listing.get(activity_id)
    if activity is None:
        abort(404)
    if not current_user.can_edit_task_force(activity.task_force_id):
        abort(403)
    return activity


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
def edit(activity_id):
    activity = _editable(activity_id)
    form, _ = _form(activity, formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        _start(form, None, activity)
    others = []
    if form.validate_on_submit():
        try:
            made = log.edit(current_user, activity.id, version=form.version.data,
                            regions=settings.activity_regions(), closed_reason=form.closed_reason.data,
                            **form.values())
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
        else:
            return _done(made, None, "跟进记录已修改。")
    return render_template("activities/form.html", form=form, activity=activity, project=None,
                           others=others, void_form=forms.VoidForm(formdata=None)), 200


@bp.route("/<int:activity_id>/void", methods=["POST"])
def void(activity_id):
    activity = _editable(activity_id)
    form = forms.VoidForm()
    if form.validate_on_submit():
        try:
            made = log.void(current_user, activity.id, form.reason.data)
        except ValidationError as exc:
            for message in exc.errors.values():
                flash(f"作废未成功：{message}", "danger")
            return redirect(url_for("activities.edit", activity_id=activity.id))
        return _done(made, None, "跟进记录已作废。")
    flash("作废未成功：页面已过期，请刷新后重试。", "danger")
    return redirect(url_for("activities.edit", activity_id=activity.id))

