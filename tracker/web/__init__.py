"""Web layer: extensions, template helpers, error pages and blueprint registration."""
from flask import redirect, render_template, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from .. import clock
from ..domain import money, pipeline

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(user_id):
    from ..models import User
    try:
        return User.get_or_none((User.id == int(user_id)) & (User.active == True))  # noqa: E712
    except ValueError:
        return None


ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}

# (endpoint, label, roles or None for everyone logged in)
NAV = [
    ("dashboard.index", "进度看板", None),
    ("projects.ledger", "项目台账", None),
    ("taskforces.index", "招商专班", None),
    ("counties.index", "区县/开发区", None),
    ("targets.index", "目标设置", ("admin", "bureau")),
    ("outbox.index", "周报发件箱", ("admin", "bureau")),
    ("prefs.summary", "周报设置", None),
]


def _blueprints():
    # One import + one list entry per blueprint module.
    from . import auth
    from . import dashboard
    from . import counties
    from . import api
    from . import taskforces
    from . import projects
    from . import outbox
    from . import prefs
    from . import targets
    return [
        auth.bp,
        dashboard.bp,
        counties.bp,
        api.bp,
        taskforces.bp,
        projects.bp,
        outbox.bp,
        prefs.bp,
        targets.bp,
    ]


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to the database's 32-bit integer range: a larger number in a URL
    is a 404, not an overflow error from the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app):
    app.url_map.converters["int"] = IdConverter
    csrf.init_app(app)
    login_manager.init_app(app)

    for bp in _blueprints():
        app.register_blueprint(bp)

    @app.before_request
    def require_login():
        if request.endpoint in (None, "static") or request.endpoint.startswith("auth."):
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "public", False):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.route("/")
    def index():
        # Bureau/admin users land on the progress dashboard, everyone else on the ledger.
        if getattr(current_user, "role", None) in ("admin", "bureau") \
                and "dashboard.index" in app.view_functions:
            return redirect(url_for("dashboard.index"))
        return redirect(url_for("projects.ledger"))

    app.jinja_env.filters.update(
        wan=money.fmt_wan,
        yi=money.fmt_yi,
        stage_label=pipeline.label,
        localtime=lambda dt, fmt="%Y-%m-%d %H:%M": clock.to_local(dt).strftime(fmt) if dt else "",
    )
    def nav_items():
        """Main navigation: entries whose endpoint exists and the user may open."""
        role = getattr(current_user, "role", None)
        return [(endpoint, text) for endpoint, text, roles in NAV
                if endpoint in app.view_functions and (roles is None or role in roles)]

    app.jinja_env.globals.update(stage_choices=pipeline.choices, today=clock.today,
                                 nav_items=nav_items)

    def error_page(code, title, message):
        if request.path.startswith("/api/"):
            # API clients get JSON for every error, even on URLs no route matches.
            from .api import error_response
            return error_response(code, ERROR_CODES.get(code, "error"), message)
        return render_template("errors.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_page(400, "表单已失效", "表单令牌缺失或已过期，请返回刷新页面后重新提交。")

    @app.errorhandler(400)
    def bad_request(exc):
        return error_page(400, "请求无效", getattr(exc, "description", "") or "请求无效。")

    @app.errorhandler(403)
    def forbidden(exc):
        return error_page(403, "无权操作", "您没有权限执行此操作。")

    @app.errorhandler(404)
    def not_found(exc):
        return error_page(404, "页面不存在", "您要找的页面或记录不存在。")

    @app.errorhandler(405)
    def method_not_allowed(exc):
        return error_page(405, "方法不允许", "该页面不支持此请求方法。")


def public(view):
    """Mark a view as reachable without logging in."""
    view.public = True
    return view
