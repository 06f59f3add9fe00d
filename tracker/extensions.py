"""Flask extensions, created once here and bound to the app in the factory."""
from flask import current_app, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


def view_body_limit():
    """``(limit, slack)`` in bytes that the current request's view names for itself as
    ``view.body_limit = (config key, slack)`` (the import upload: IMPORT_MAX_BYTES plus the
    multipart overhead), for a signed-in user; None otherwise (MAX_CONTENT_LENGTH applies,
    and an anonymous request is turned away by the login guard anyway)."""
    named = getattr(current_app.view_functions.get(request.endpoint or ""), "body_limit", None)
    if not named or not current_user.is_authenticated:
        return None
    return int(current_app.config[named[0]]), named[1]


def _body_limit():
    """before_request, registered ahead of the CSRF check, which reads the form and so the
    body under ``request.max_content_length`` (Flask >= 3.1: per request): a view naming
    its own limit gets it; every other request keeps MAX_CONTENT_LENGTH."""
    limit = view_body_limit()
    if limit:
        request.max_content_length = sum(limit)


def init_app(app):
    app.before_request(_body_limit)  # before csrf_protect reads the body
    csrf.init_app(app)
    login_manager.init_app(app)
