"""Weekly-summary preferences and the signed one-click unsubscribe link.

/prefs/summary            logged-in user turns the weekly summary on or off, and chooses how
                          督办 reminders reach them (e-mail, the team robot's @ by mobile)
/unsubscribe/<token>      public: GET shows a confirm page, POST unsubscribes
                          (RFC 8058 List-Unsubscribe-Post; authenticated by the
                          signature, hence exempt from CSRF). A tampered or unknown
                          link answers 400, an expired one 410, each with a page that
                          points to 周报设置.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain.errors import ValidationError
from ...extensions import csrf
from ...services.mail import prefs
from ..forms import apply_errors
from ..permissions import public
from ... import settings
from .forms import SummaryPrefsForm

bp = Blueprint("prefs", __name__)


@bp.route("/prefs/summary", methods=["GET", "POST"])
def summary():
    user = prefs.subscriber(current_user.id)
    # On POST the form holds only what was submitted: an unchecked box sends nothing.
    form = SummaryPrefsForm() if request.method == "POST" else SummaryPrefsForm(obj=user, reminder_fields="1")
    if form.validate_on_submit():
        try:
            user = prefs.save_prefs(user.id, form.wants_summary.data, form.reminder())
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            flash(("已开启周报邮件" if user.wants_summary else "已关闭周报邮件")
                  + ("，督办提醒将发送邮件。" if user.remind_email else "，督办提醒不再发送邮件。"), "success")
            return redirect(url_for("prefs.summary"))
    return render_template("prefs/summary.html", form=form, user=user)


def _refused(exc):
    expired = prefs.EXPIRED in exc.errors
    return render_template("prefs/unsubscribe_refused.html", expired=expired,
                           message=next(iter(exc.errors.values()))), (410 if expired else 400)


@bp.route("/unsubscribe/<token>", methods=["GET"])
@public
def unsubscribe(token):
    try:
        user = prefs.token_user(token, settings.unsubscribe_signer())
    except ValidationError as exc:
        return _refused(exc)
    # A second visit of the link: already unsubscribed, nothing left to confirm.
    return render_template("prefs/unsubscribe.html", user=user, token=token,
                           done=not user.wants_summary, already=not user.wants_summary)


@bp.route("/unsubscribe/<token>", methods=["POST"])
@public
@csrf.exempt
def unsubscribe_post(token):
    try:
        user = prefs.unsubscribe(token, settings.unsubscribe_signer())
    except ValidationError as exc:
        return _refused(exc)
    return render_template("prefs/unsubscribe.html", user=user, token=token, done=True)
