"""Who may do what: decorators and checks for views."""
from functools import wraps

from flask import abort
from flask_login import current_user


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
