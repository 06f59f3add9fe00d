"""周报发件箱 (bureau/admin): list with status filters, preview of any message,
"send a test to me" (of last week or of the week in progress up to today) and its
preview, resend of a failed or in-doubt message, 已确认送达 of an
in-doubt one, and 立即重试待发邮件 after an outage."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain.errors import ValidationError
from ...domain.weeks import week_label
from ...services.mail import outbox
from ...services.pagination import page_number
from ...services.robots import listing as robot_listing
from ..permissions import bureau_required
from ... import settings

bp = Blueprint("outbox", __name__, url_prefix="/outbox")

# The headers a reader needs, in their words; the technical ones (Message-ID, MIME-Version,
# Content-Type, List-Unsubscribe …) are folded away on the message's page.
PLAIN_HEADERS = {"subject": "主题", "from": "发件人", "to": "收件人", "date": "日期"}


@bp.before_request
@bureau_required
def guard():
    return None


def _settings():
    return settings.mail()


@bp.route("/")
def index():
    found = outbox.listing(request.args.get("status", ""), request.args.get("week", ""),
                                 page_number(request.args.get("page")), _settings())
    page = found.page
    return render_template("outbox/index.html", rows=page.rows, status=found.status,
                           week=found.week, weeks=found.weeks, counts=found.counts,
                           statuses=outbox.FILTERS, page=page.page, pages=page.pages,
                           total=page.total, args={"status": found.status, "week": found.week},
                           test_weeks=outbox.TEST_WEEKS, week_label=week_label,
                           robot_panel=robot_listing.outbox_panel(), robot_statuses=robot_listing.FILTERS)


@bp.route("/<int:message_id>")
def show(message_id):
    found = outbox.detail(message_id, _settings())
    return render_template("outbox/show.html", row=found.row, found=found, tables=found.tables,
                           headers=found.headers, week_label=week_label,
                           header_names=PLAIN_HEADERS)


def _flash_errors(exc):
    for message in exc.errors.values():
        flash(message, "warning")


@bp.route("/<int:message_id>/resend", methods=["POST"])
def resend(message_id):
    try:
        result = outbox.resend(message_id, current_user, _settings())
    except ValidationError as exc:
        _flash_errors(exc)
        return redirect(url_for("outbox.show", message_id=message_id))
    if result.sent:
        flash("已重新写入文件。" if result.transport == "eml" else "已重新发送。", "success")
    else:
        flash("已重新排队，但本次发送未成功：" + "；".join(result.errors or ["请稍后查看状态"]),
              "warning")
    return redirect(url_for("outbox.show", message_id=message_id))


@bp.route("/<int:message_id>/confirm", methods=["POST"])
def confirm(message_id):
    try:
        outbox.confirm_delivered(message_id, current_user, _settings())
    except ValidationError as exc:
        _flash_errors(exc)
    else:
        flash("已标记为“已确认送达”。", "success")
    return redirect(url_for("outbox.show", message_id=message_id))


@bp.route("/retry-now", methods=["POST"])
def retry_now():
    made_due, result = outbox.retry_now_and_send(current_user, _settings())
    text = f"{made_due} 封等待重试的邮件已改为立即发送。{result.summary()}"
    if result.waiting:
        text += f"；仍有 {result.waiting} 封等待重试"
    flash(text, "success" if not (result.failed or result.retry or result.unknown)
          else "warning")
    return redirect(url_for("outbox.index"))


def _week_choice(value):
    """The chosen test week; an unknown value is last week, said in a message."""
    choice = outbox.week_choice(value)
    if choice.message:
        flash(choice.message, "info")
    return choice.which


@bp.route("/preview")
def preview():
    which = _week_choice(request.args.get("week"))
    found = outbox.preview_test(current_user.id, which, _settings())
    return render_template("outbox/preview.html", found=found, which=which,
                           choices=outbox.TEST_WEEKS)


@bp.route("/test", methods=["POST"])
def send_test():
    which = _week_choice(request.form.get("week"))
    try:
        sent = outbox.send_test(current_user.id, _settings(), which=which)
    except ValidationError as exc:
        for key, message in exc.errors.items():
            flash(message, "danger" if key == "email" else "warning")
        return redirect(url_for("outbox.index"))
    if sent.result.sent:
        flash(f"测试邮件已发送到 {sent.to_addr}。", "success")
    else:
        flash("测试邮件未发送成功：" + "；".join(sent.result.errors or ["请查看发件箱"]), "danger")
    return redirect(url_for("outbox.show", message_id=sent.row_id))
