"""Task-force pages: list, detail, and create/edit for bureau and admin users."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from ...domain import pipeline
from ...models import TaskForce
from ...services import taskforces as service
from ..permissions import bureau_required
from .forms import TaskForceForm
from .progress import progress_context

bp = Blueprint("taskforces", __name__, url_prefix="/taskforces")

def _get_team(code):
    return get_object_or_404(TaskForce, TaskForce.code == code)


@bp.route("/")
def index():
    rows = service.overview()
    return render_template("taskforces/index.html", rows=rows,
                           stages=pipeline.STAGES, can_manage=current_user.sees_all)


@bp.route("/<code>")
def detail(code):
    team = _get_team(code)
    context = {
        "team": team,
        "members": service.members(team),
        "counties": service.counties(team),
        "funnel": service.funnel(team),
        "projects": service.recent_projects(team),
        "can_manage": current_user.sees_all,
    }
    context.update(progress_context(team))
    return render_template("taskforces/detail.html", **context)


@bp.route("/new", methods=["GET", "POST"])
@bureau_required
def create():
    form = TaskForceForm()
    if form.validate_on_submit():
        return _save(form, None)
    return render_template("taskforces/form.html", form=form, team=None)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@bureau_required
def edit(code):
    team = _get_team(code)
    form = TaskForceForm(obj=team, team=team)
    if not form.is_submitted():
        form.counties.data = service.county_ids(team)
        form.members.data = service.member_ids(team)
    if form.validate_on_submit():
        return _save(form, team)
    return render_template("taskforces/form.html", form=form, team=team)


def _save(form, team):
    try:
        saved = service.save_task_force(current_user._get_current_object(),
                                        form.data_for_service(), team=team)
    except service.DuplicateTaskForce as exc:
        getattr(form, exc.field).errors.append(exc.message)
        return render_template("taskforces/form.html", form=form, team=team)
    flash(f"已保存专班「{saved.name}」。", "success")
    return redirect(url_for("taskforces.detail", code=saved.code))
