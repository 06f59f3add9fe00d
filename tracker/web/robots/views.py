"""群机器人 pages (tracker/services/robots): everyone reads the robots of their teams (the
bureau all, and its own); the bureau and admins manage every robot, a team's lead that
team's. Each POST calls one service function; its messages go next to the fields. The
webhook URL and secret are never shown again after saving (masked)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import settings
from ...domain.errors import ValidationError
from ...services.pagination import page_number
from ...services.robots import decisions, listing, manage
from ...services.robots.settings import RobotSettings
from ..forms import apply_errors
from ..permissions import bureau_required
from . import forms

bp = Blueprint("robots", __name__, url_prefix="/robots")


def _settings():
    return RobotSettings.from_config(current_app.config, links=settings.links())


@bp.route("/")
def index():
    return render_template("robots/index.html", groups=listing.groups_for(current_user),
                           masked=listing.masked_url, masked_secret=listing.masked_secret)


def _form(formdata=None, **kw):
    scopes = listing.scopes_managed(current_user)
    if not scopes:
        abort(403)
    return forms.RobotForm(formdata=formdata, scopes=scopes, **kw)


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = _form(request.form if request.method == "POST" else None)
    if request.method == "GET" and request.args.get("task_force", "").isdigit():
        form.task_force.data = request.args["task_force"]
    others = []
    if form.validate_on_submit():
        try:
            robot = manage.create(current_user, form.values(), _settings())
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
        else:
            flash(f"已添加机器人“{robot.name}”。可点“发送测试消息”检查是否连通。", "success")
            return redirect(url_for("robots.index"))
    return render_template("robots/form.html", form=form, others=others, robot=None)


def _managed(robot_id):
    robot = listing.robot_of(robot_id)
    if not manage.may_manage(current_user, robot.task_force_id):
        abort(403)
    return robot


@bp.route("/<int:robot_id>/edit", methods=["GET", "POST"])
def edit(robot_id):
    robot = _managed(robot_id)
    form = forms.RobotForm(formdata=request.form if request.method == "POST" else None,
                           obj=None if request.method == "POST" else robot)
    del form.task_force
    others = []
    if form.validate_on_submit():
        try:
            manage.edit(current_user, robot.id, form.values(), _settings(), version=form.version.data)
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
        else:
            flash("已保存。", "success")
            return redirect(url_for("robots.index"))
    return render_template("robots/form.html", form=form, others=others, robot=robot,
                           masked=listing.masked_url(robot), masked_secret=listing.masked_secret(robot))


@bp.route("/<int:robot_id>/test", methods=["POST"])
def send_test(robot_id):
    robot = _managed(robot_id)
    row = manage.send_test(current_user, robot.id, _settings())
    if row.status == "sent":
        flash(f"测试消息已发送到“{robot.name}”，机器人已接收。", "success")
    else:
        # the test itself was done (queued, posted, its answer recorded): the answer is news
        flash(f"测试消息未成功（{row.status_label}）：{row.last_error or '请稍后查看'}", "info")
    return redirect(url_for("robots.index"))


@bp.route("/<int:robot_id>/state", methods=["POST"])
def set_state(robot_id):
    robot = _managed(robot_id)
    wanted = request.form.get("enabled")
    if wanted not in ("0", "1"):
        flash("未识别的操作。", "warning")
        return redirect(url_for("robots.index"))
    try:
        manage.set_enabled(current_user, robot.id, wanted == "1", version=request.form.get("version"))
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(message, "warning")
    else:
        flash("已启用。" if wanted == "1" else "已停用：不再向它发送消息，排队的消息保留。", "success")
    return redirect(url_for("robots.index"))


@bp.route("/<int:robot_id>/delete", methods=["GET", "POST"])
def delete(robot_id):
    robot = _managed(robot_id)
    if request.method == "POST" and request.form.get("confirm") == "yes":
        manage.delete(current_user, robot.id)
        flash(f"已删除机器人“{robot.name}”及其消息记录。", "success")
        return redirect(url_for("robots.index"))
    return render_template("robots/delete.html", robot=robot, masked=listing.masked_url(robot))


@bp.route("/messages")
@bureau_required
def messages():
    status = request.args.get("status", "")
    status = status if status in listing.FILTERS else ""
    page = listing.messages(status, page_number(request.args.get("page")))
    return render_template("robots/messages.html", page=page, status=status, statuses=listing.FILTERS,
                           counts=listing.counts(), broken=listing.broken_robots())


def _decide(message_id, run, success):
    try:
        run(message_id, current_user, _settings())
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(message, "warning")
    else:
        flash(success, "success")
    back = "outbox.index" if request.form.get("back") == "outbox" else "robots.messages"
    return redirect(url_for(back))


@bp.route("/messages/<int:robot_message_id>/resend", methods=["POST"])
@bureau_required
def resend(robot_message_id):
    return _decide(robot_message_id, decisions.requeue, "已重新排队，一分钟内由调度器发送。")


@bp.route("/messages/<int:robot_message_id>/confirm", methods=["POST"])
@bureau_required
def confirm(robot_message_id):
    return _decide(robot_message_id, decisions.confirm_delivered, "已标记为“已确认送达”。")
