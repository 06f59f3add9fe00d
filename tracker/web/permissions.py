"""Who may do what: decorators and checks for views."""
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

from ..extensions import login_manager


def role_required(*roles):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


bureau_required = role_required("admin", "bureau")
admin_required = role_required("admin")


def require_edit(task_force_id):
    """403 unless the current user may edit projects of this task force."""
    if not current_user.can_edit_task_force(task_force_id):
        abort(403)


def public(view):
    """Mark a view as reachable without logging in."""
    view.public = True
    return view


def guard_login():
    """before_request: every endpoint but the login pages, static files and ``@public``
    views needs a logged-in user."""
    if request.endpoint in (None, "static") or request.endpoint.startswith("auth."):
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "public", False) or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()
