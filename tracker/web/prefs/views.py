"""Weekly-summary preferences and the signed one-click unsubscribe link.

/prefs/summary            logged-in user turns the weekly summary on or off
/unsubscribe/<token>      public: GET shows a confirm page, POST unsubscribes
                          (RFC 8058 List-Unsubscribe-Post; authenticated by the
                          signature, hence exempt from CSRF)
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField

from ...db import database
from ...models import User
from ...services import audit
from ...services.unsubscribe import user_for_token
from ...extensions import csrf
from ..permissions import public

bp = Blueprint("prefs", __name__)


class SummaryPrefsForm(FlaskForm):
    wants_summary = BooleanField("每周一接收招商专班周报邮件")


def _set_wants_summary(user, value, actor, action):
    with database.atomic():
        before = user.wants_summary
        User.update(wants_summary=value).where(User.id == user.id).execute()
        if before != value:
            audit.record(actor, "user", user.id, action,
                         {"wants_summary": before}, {"wants_summary": value})
    user.wants_summary = value


@bp.route("/prefs/summary", methods=["GET", "POST"])
def summary():
    user = User.get_by_id(current_user.id)
    # On POST the form holds only what was submitted: an unchecked box sends nothing.
    form = SummaryPrefsForm() if request.method == "POST" else SummaryPrefsForm(obj=user)
    if form.validate_on_submit():
        _set_wants_summary(user, bool(form.wants_summary.data), user, "summary_prefs")
        flash("已开启周报邮件。" if user.wants_summary else "已关闭周报邮件。", "success")
        return redirect(url_for("prefs.summary"))
    return render_template("prefs/summary.html", form=form, user=user)


def _token_user(token):
    user = user_for_token(token)
    if user is None:
        abort(400, "退订链接无效或已被篡改，请登录后在「周报设置」中修改。")
    return user


@bp.route("/unsubscribe/<token>", methods=["GET"])
@public
def unsubscribe(token):
    user = _token_user(token)
    return render_template("prefs/unsubscribe.html", user=user, token=token, done=False)


@bp.route("/unsubscribe/<token>", methods=["POST"])
@public
@csrf.exempt
def unsubscribe_post(token):
    user = _token_user(token)
    _set_wants_summary(user, False, user, "unsubscribe")
    return render_template("prefs/unsubscribe.html", user=user, token=token, done=True)
