"""周报发件箱 (bureau/admin): list with status filters, preview of any message,
"send a test to me" and resend of a failed message."""
import json
import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404
from peewee import fn

from ... import clock
from ...db import database
from ...models import OutboxMessage, User
from ...services import audit, mailer, summaries
from ..permissions import bureau_required

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.before_request
@bureau_required
def guard():
    return None


@bp.route("/")
def index():
    status = request.args.get("status", "")
    if status not in OutboxMessage.STATUSES:
        status = ""
    week = request.args.get("week", "").strip()[:10]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = 50
    query = OutboxMessage.select(
        OutboxMessage.id, OutboxMessage.week, OutboxMessage.kind, OutboxMessage.to_addr,
        OutboxMessage.to_name, OutboxMessage.subject, OutboxMessage.status,
        OutboxMessage.attempts, OutboxMessage.next_attempt_at, OutboxMessage.sent_at,
        OutboxMessage.last_error, OutboxMessage.created_at)
    if status:
        query = query.where(OutboxMessage.status == status)
    if week:
        query = query.where(OutboxMessage.week == week)
    total = query.count()
    pages = max((total + per_page - 1) // per_page, 1)
    rows = list(query.order_by(OutboxMessage.id.desc()).paginate(min(page, pages), per_page))
    weeks = [w for (w,) in OutboxMessage.select(fn.DISTINCT(OutboxMessage.week))
             .order_by(OutboxMessage.week.desc()).limit(30).tuples()]
    return render_template("outbox/index.html", rows=rows, status=status, week=week,
                           weeks=weeks, counts=summaries.outbox_counts(week or None),
                           statuses=OutboxMessage.STATUSES, page=min(page, pages), pages=pages,
                           total=total, args={"status": status, "week": week})


def _get(message_id):
    return get_object_or_404(OutboxMessage, OutboxMessage.id == message_id)


@bp.route("/<int:message_id>")
def show(message_id):
    row = _get(message_id)
    try:
        numbers = json.dumps(json.loads(row.numbers or "{}"), ensure_ascii=False, indent=2)
    except ValueError:
        numbers = row.numbers
    return render_template("outbox/show.html", row=row, numbers=numbers,
                           headers=mailer.message_headers(row))


@bp.route("/<int:message_id>/resend", methods=["POST"])
def resend(message_id):
    row = _get(message_id)
    if row.status != "failed":
        flash("只有发送失败的邮件可以重发。", "warning")
        return redirect(url_for("outbox.show", message_id=row.id))
    with database.atomic():
        changed = mailer.requeue(row)
        if changed:
            audit.record(current_user, "outbox_message", row.id, "resend",
                         {"status": "failed", "attempts": row.attempts,
                          "last_error": row.last_error}, {"status": "pending", "attempts": 0})
    if not changed:
        flash("该邮件的状态已变化，请刷新后重试。", "warning")
        return redirect(url_for("outbox.show", message_id=row.id))
    result = mailer.send_now(row.id)
    if result.sent:
        flash("已重新发送。", "success")
    else:
        flash("已重新排队，但本次发送未成功：" + "；".join(result.errors or ["请稍后查看状态"]),
              "warning")
    return redirect(url_for("outbox.show", message_id=row.id))


@bp.route("/test", methods=["POST"])
def send_test():
    user = User.get_by_id(current_user.id)
    if not (user.email or "").strip():
        flash("您的账号没有设置邮箱，无法发送测试邮件。", "danger")
        return redirect(url_for("outbox.index"))
    week = summaries.last_week(clock.today())
    data = summaries.collect(week)
    messages = summaries.messages_for(data, user)
    if not messages:
        flash("没有可发送的周报内容。", "warning")
        return redirect(url_for("outbox.index"))
    msg = messages[0]
    scope = f"test:{secrets.token_hex(6)}"
    fields = summaries.row_fields(week, user, msg)
    fields.update(kind="test", scope=scope, subject=("[测试] " + msg.subject)[:255],
                  message_id=mailer.new_message_id("test", week.key, scope, f"u{user.id}"))
    with database.atomic():
        row_id = OutboxMessage.insert(**fields).execute()
        audit.record(user, "outbox_message", row_id, "test", None,
                     {"to": fields["to_addr"], "subject": fields["subject"]})
    result = mailer.send_now(row_id)
    if result.sent:
        flash(f"测试邮件已发送到 {user.email}。", "success")
    else:
        flash("测试邮件未发送成功：" + "；".join(result.errors or ["请查看发件箱"]), "danger")
    return redirect(url_for("outbox.show", message_id=row_id))
