"""Task-force pages: list, detail, and create/edit for bureau and admin users."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ...domain import activities as activity_rules
from ...domain import pipeline
from ...domain.errors import ValidationError
from ...services.activities import listing as activity_listing
from ...services.taskforces import teams as service
from .. import fragments
from ..forms import apply_errors
from ..permissions import bureau_required
from ..supervision.todo import team_items_html
from .forms import TaskForceForm
from .progress import progress_context

bp = Blueprint("taskforces", __name__, url_prefix="/taskforces")


@bp.route("/")
def index():
    rows = service.overview()
    return render_template("taskforces/index.html", rows=rows,
                           stages=pipeline.STAGES, can_manage=current_user.sees_all)


@bp.route("/<code>")
def detail(code):
    team = service.get_task_force(code)
    reads_log = _reads_log(team)
    # the body once per data version (web.fragments); the team's 督办 items per request
    body = fragments.body("taskforces/_detail_body.html", (team.id, current_user.sees_all, reads_log),
                          lambda: _context(team, reads_log),
                          team_items=lambda: team_items_html(team.id))
    return render_template("taskforces/detail.html", team=team, body=body)


def _context(team, reads_log):
    """What the page's body shows (computed only when it is not remembered)."""
    funnel = service.funnel(team)
    context = {
        "team": team,
        "members": service.members(team),
        "counties": service.counties(team),
        "funnel": funnel,
        "projects": service.recent_projects(team),
        # the follow-up log is the team's own and the bureau's (issue 21)
        "activities": activity_listing.recent_of_team(team.id) if reads_log else None,
        "activity_kinds": activity_rules.KINDS,
        "can_manage": current_user.sees_all,
    }
    context.update(progress_context(team, funnel))
    return context


def _reads_log(team):
    return current_user.sees_all or team.id in current_user.task_force_ids()


def _form(team=None):
    return TaskForceForm(obj=team, county_choices=service.county_choices(),
                         member_choices=service.member_choices(team.id if team else None))


@bp.route("/new", methods=["GET", "POST"])
@bureau_required
def create():
    form = _form()
    if form.validate_on_submit():
        return _save(form, None)
    return render_template("taskforces/form.html", form=form, team=None)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@bureau_required
def edit(code):
    team = service.get_task_force(code)
    form = _form(team)
    if not form.is_submitted():
        form.counties.data = service.county_ids(team)
        form.members.data = service.member_ids(team)
    if form.validate_on_submit():
        return _save(form, team)
    return render_template("taskforces/form.html", form=form, team=team)


def _save(form, team):
    try:
        saved = service.save_task_force(current_user._get_current_object(),
                                        form.data_for_service(),
                                        team_id=team.id if team else None)
    except ValidationError as exc:
        apply_errors(form, exc.errors, flash_rest=True)
        return render_template("taskforces/form.html", form=form, team=team)
    flash(f"已保存专班「{saved.name}」。", "success")
    return redirect(url_for("taskforces.detail", code=saved.code))
