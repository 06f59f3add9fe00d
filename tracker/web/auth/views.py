"""Login, logout and the user's own sessions (issue "Accounts, sessions and hardening").

A login starts a server-side session (services.accounts.sessions) after the throttle lets the try
through (services.accounts.throttle); the Flask session is emptied first, so the CSRF token is a new
one. Logout ends that session and empties the Flask session again. The views under
/account are for any logged-in user (the auth blueprint is not behind the login guard, so
each says @login_required).
"""
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ...services.accounts import sessions, throttle
from ... import settings
from .forms import EndSessionForm, LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target):
    if target and not urlsplit(target).netloc and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("index")


def _new_flask_session():
    """Empty the signed cookie session (the CSRF token with it: a new one is made on the
    next form)."""
    session.clear()
    g.pop("csrf_token", None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = throttle.log_in(form.username.data, form.password.data,
                                 address=request.remote_addr or "",
                                 user_agent=request.user_agent.string,
                                 remember=form.remember.data,
                                 limits=settings.login_limits(),
                                 hash_method=settings.hash_method())
        if result.user is None:
            form.password.errors.append(result.error)
        else:
            _new_flask_session()
            login_user(result.user, remember=form.remember.data)
            flash(f"欢迎，{result.user}。", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end(current_user._get_current_object(), "logout")
    _new_flask_session()
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/sessions")
@login_required
def my_sessions():
    rows = sessions.live(current_user.id, getattr(current_user, "session_key", None),
                         policy=settings.session_policy())
    return render_template("auth/sessions.html", rows=rows)


@bp.route("/account/sessions/end", methods=["POST"])
@login_required
def end_session():
    form = EndSessionForm()
    if form.validate_on_submit() and sessions.end_one(
            current_user.id, form.session_id.data, "ended_by_user",
            actor=current_user._get_current_object()):
        flash("已结束该登录会话。", "success")
    else:
        flash("该会话不存在或已结束。", "warning")
    return redirect(url_for("auth.my_sessions"))


@bp.route("/account/sessions/end-all", methods=["POST"])
@login_required
def end_all_sessions():
    """Sign out everywhere: every session of the user ends, this one included."""
    sessions.end_everywhere(current_user._get_current_object(), current_user.id,
                            "signed_out_everywhere")
    _new_flask_session()
    logout_user()
    flash("已在所有设备上退出登录。", "info")
    return redirect(url_for("auth.login"))
