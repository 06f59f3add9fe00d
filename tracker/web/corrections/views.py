"""更正申请 pages (tracker/services/reviews/requests.py): everyone reads the requests of
their task forces (the bureau all of them); only the bureau approves or rejects; the
requester may withdraw a pending one. Each POST calls one service function."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain.errors import ValidationError
from ...services.reviews import requests as service
from ...services.pagination import page_number, paginate
from ... import settings
from ..forms import apply_errors
from . import forms

bp = Blueprint("corrections", __name__, url_prefix="/corrections")
STATES = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回", "withdrawn": "已撤回", "all": "全部"}


@bp.route("/")
def index():
    state = request.args.get("state", "pending")
    if state not in STATES:
        state = "pending"
    query = service.visible(current_user, state=None if state == "all" else state)
    page = paginate(query, page_number(request.args.get("page")), current_app.config["PER_PAGE"])
    return render_template("corrections/index.html", page=page, state=state, states=STATES,
                           pending=service.pending_count(current_user))


def _readable(request_id):
    found = service.get(request_id)
    if not service.may_read(current_user, found):
        abort(403)
    return found


@bp.route("/<int:request_id>")
def show(request_id):
    found = _readable(request_id)
    return _render(found)


def _render(found, status=200, reject_form=None, errors=()):
    return render_template(
        "corrections/show.html", found=found, errors=errors,
        approve_form=forms.ApproveForm(formdata=None), withdraw_form=forms.WithdrawForm(formdata=None),
        reject_form=reject_form or forms.RejectForm(formdata=None)), status


@bp.route("/<int:request_id>/approve", methods=["POST"])
def approve(request_id):
    found = _readable(request_id)
    if not current_user.sees_all:
        abort(403)
    form = forms.ApproveForm()
    if not form.validate_on_submit():
        return _render(found, 400, errors=["页面已过期，请刷新后重试。"])
    try:
        service.approve(current_user, found.id, stale=settings.stale())
    except ValidationError as exc:
        return _render(service.get(found.id), 200, errors=list(exc.errors.values()))
    flash(f"已通过更正申请 #{found.id}，台账和统计已更新（已冻结的季度快照保留原数）。", "success")
    return redirect(url_for("corrections.show", request_id=found.id))


@bp.route("/<int:request_id>/reject", methods=["POST"])
def reject(request_id):
    found = _readable(request_id)
    if not current_user.sees_all:
        abort(403)
    form = forms.RejectForm()
    if form.validate_on_submit():
        try:
            service.reject(current_user, found.id, form.decision_note.data)
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
            return _render(service.get(found.id), 200, reject_form=form, errors=others)
        flash(f"已驳回更正申请 #{found.id}。", "success")
        return redirect(url_for("corrections.show", request_id=found.id))
    return _render(found, 400, reject_form=form, errors=["页面已过期，请刷新后重试。"])


@bp.route("/<int:request_id>/withdraw", methods=["POST"])
def withdraw(request_id):
    found = _readable(request_id)
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        return _render(found, 400, errors=["页面已过期，请刷新后重试。"])
    try:
        service.withdraw(current_user, found.id)
    except ValidationError as exc:
        return _render(service.get(found.id), 200, errors=list(exc.errors.values()))
    flash(f"已撤回更正申请 #{found.id}。", "success")
    return redirect(url_for("corrections.show", request_id=found.id))
