"""Account pages.

/account/                    my account: links to the pages below
/account/password            every user changes their own password (current one required)
/account/tokens              my API tokens (admin: everyone's): create (shown once), revoke
/accounts/                   users (admin; bureau may view): create, edit, deactivate,
/accounts/new, /accounts/edit?user=ID, /accounts/{deactivate,reactivate,reset-password,
                             unlock,end-sessions}   (the last two: issue 23)

A user whose ``must_change_password`` is set (a temporary password from an admin) is sent to
/account/password from every other page but logout until they have chosen a password.
Temporary passwords and new tokens are shown once, in the answer to the POST, never stored.
"""
from flask import (
    Blueprint, abort, flash, make_response, redirect, render_template, request, url_for,
)
from flask_login import current_user

from ... import settings
from ...domain.errors import NotFound, ValidationError
from ...services.accounts import sessions, throttle, users as accounts, tokens
from ..forms import apply_errors
from ..permissions import admin_required, bureau_required
from .forms import PasswordForm, RevokeTokenForm, TokenForm, UserActionForm, UserForm

bp = Blueprint("accounts", __name__)

# Reachable while a password change is due: the page itself, logout, login, static files.
ALLOWED_BEFORE_CHANGE = {None, "static", "accounts.password", "auth.logout", "auth.login"}


@bp.before_app_request
def password_change_due():
    """Send a user with a temporary password to /account/password (API calls with a bearer
    token are not session requests: they pass)."""
    if not getattr(current_user, "is_authenticated", False) \
            or not getattr(current_user, "must_change_password", False):
        return None
    endpoint = request.endpoint
    if endpoint in ALLOWED_BEFORE_CHANGE or (
            endpoint.startswith("api.") and request.headers.get("Authorization")):
        return None
    flash("请先修改临时密码，然后继续使用系统。", "warning")
    return redirect(url_for("accounts.password"))


def _shown_once(template, **context):
    """A page with a secret (temporary password, new token): never cached."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


def _actor():
    return current_user._get_current_object()


# --- my account ---------------------------------------------------------------------------

@bp.route("/account/")
def me():
    return render_template("accounts/me.html", user=accounts.get_user(current_user.id))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user.id, form.current_password.data,
                                     form.new_password.data,
                                     keep_session=getattr(current_user, "session_key", None),
                                     min_score=settings.password_min_score())
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            flash("密码已修改，您在其他设备上的登录已退出。", "success")
            return redirect(url_for("index"))
    return render_template("accounts/password.html", form=form,
                           due=current_user.must_change_password)


def _token_rows():
    viewer = None if current_user.role == "admin" else current_user.username
    return [(row, tokens.expired(row)) for row in tokens.list_tokens(viewer)]


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens_page():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            created = tokens.create(current_user.username, form.name.data,
                                    form.expires_at.data, actor=_actor())
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            form = TokenForm(formdata=None)
    page = _shown_once if created else render_template
    return page("accounts/tokens.html", form=form, rows=_token_rows(), created=created,
                revoke_form=RevokeTokenForm(), sees_all=current_user.role == "admin")


@bp.route("/account/tokens/revoke", methods=["POST"])
def revoke_token():
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400, "令牌无效。")
    owner = None if current_user.role == "admin" else current_user.id
    try:
        row = tokens.revoke(form.token_id.data, actor=_actor(), owner_id=owner)
    except ValidationError as exc:
        flash(next(iter(exc.errors.values())), "danger")
    else:
        flash(f"已吊销令牌 #{row.id}（{row.hint}…）。", "success")
    return redirect(url_for("accounts.tokens_page"))


# --- user administration ---------------------------------------------------------------------

@bp.route("/accounts/")
@bureau_required
def index():
    return render_template("accounts/index.html", users=accounts.list_users(),
                           action_form=UserActionForm(), can_manage=current_user.role == "admin")


def _user_form(**kwargs):
    return UserForm(task_force_choices=accounts.task_force_choices(), **kwargs)


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_required
def create():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user, secret = accounts.create_account(
                _actor(), username=form.username.data or "", **form.data_for_service())
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            return _shown_once("accounts/secret.html", user=user, secret=secret, created=True)
    return render_template("accounts/form.html", form=form, user=None)


def _user_arg():
    try:
        return accounts.get_user(int(request.args.get("user", "")))
    except (ValueError, OverflowError):
        raise NotFound("用户不存在。") from None


@bp.route("/accounts/edit", methods=["GET", "POST"])
@admin_required
def edit():
    user = _user_arg()
    form = _user_form(obj=user)
    if not form.is_submitted():
        form.task_forces.data = list(user.team_codes)
    if form.validate_on_submit():
        try:
            saved = accounts.edit_user(_actor(), user.id, **form.data_for_service())
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            flash(f"已保存账号「{saved.username}」。", "success")
            return redirect(url_for("accounts.index"))
    return render_template("accounts/form.html", form=form, user=user,
                           action_form=UserActionForm(),
                           lock=throttle.lock_state(user.username, settings.login_limits()))


# What the confirmation page of an action says cannot simply be taken back.
CONFIRM = {
    "deactivate": ("停用账号", "停用后该账号立即退出所有登录会话、不能再登录，其 API 令牌同时吊销"
                   "（再次启用后也不会恢复，须重新创建）；账号和它的历史记录保留，管理员可以再次启用。"),
    "unlock": ("解除登录锁定", "解除后该账号因登录失败而产生的锁定和等待立即取消，失败次数从零算起；"
               "若是有人在猜测密码，对方也能立即继续尝试。请先与本人核实。"),
    "end_sessions": ("结束全部会话", "结束后该账号在所有设备上立即退出登录（记住我也失效），"
                     "本人需要重新登录；账号和密码不变。"),
    "reset_password": ("重置密码", "重置后原密码立即失效，该账号在所有设备上立即退出登录；"
                       "新的临时密码只显示一次，请当面或电话告知本人，本人登录后须立即修改。"),
}


def _confirmation(action, form):
    """The confirmation page of ``action`` for the user of ``form`` (nothing changed yet)."""
    title, consequence = CONFIRM[action]
    user = accounts.get_user(form.user_id.data)
    return render_template("accounts/confirm.html", user=user, title=title,
                           consequence=consequence, action=action, form=form)


def _action(change, message, confirm=None):
    form = UserActionForm()
    if not form.validate_on_submit():
        abort(400, "用户无效。")
    if confirm and form.confirmed.data != "1":
        return _confirmation(confirm, form), None
    try:
        result = change(_actor(), form.user_id.data)
    except ValidationError as exc:
        flash(next(iter(exc.errors.values())), "danger")
        return redirect(url_for("accounts.index")), None
    if message:
        flash(message.format(user=result), "success")
    return redirect(url_for("accounts.index")), result


@bp.route("/accounts/deactivate", methods=["POST"])
@admin_required
def deactivate():
    return _action(lambda actor, uid: accounts.set_active(actor, uid, False),
                   "已停用账号「{user.username}」。", confirm="deactivate")[0]


@bp.route("/accounts/reactivate", methods=["POST"])
@admin_required
def reactivate():
    return _action(lambda actor, uid: accounts.set_active(actor, uid, True),
                   "已启用账号「{user.username}」。")[0]


@bp.route("/accounts/unlock", methods=["POST"])
@admin_required
def unlock():
    return _action(lambda actor, uid: throttle.unlock(actor, uid, settings.login_limits()),
                   "已解除账号「{user.username}」的登录锁定。", confirm="unlock")[0]


@bp.route("/accounts/end-sessions", methods=["POST"])
@admin_required
def end_sessions():
    return _action(lambda actor, uid: sessions.end_everywhere(actor, uid, "ended_by_admin"),
                   "已结束该账号的全部登录会话（{user} 个）。", confirm="end_sessions")[0]


@bp.route("/accounts/reset-password", methods=["POST"])
@admin_required
def reset_password():
    response, result = _action(accounts.reset_password, None, confirm="reset_password")
    if result is None:
        return response
    user, secret = result
    return _shown_once("accounts/secret.html", user=user, secret=secret, created=False)
