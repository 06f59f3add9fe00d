"""Web layer: one package per area (views + forms), registered here in a fixed order.

Views parse requests with their forms and call one service function; they never touch
the ORM (tests/test_layers.py checks the imports).
"""
from flask import redirect, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from ..extensions import login_manager
from . import (
    accounts, api, audit, auth, counties, dashboard, errors, helpers, outbox, prefs, projects, requests,
    targets, taskforces,
)
from . import awards, colours, health, security, static_files
from . import imports
from . import bulletin
from . import exports
from . import corrections
from . import activities
from . import supervision
from . import robots
from .permissions import guard_login

BLUEPRINTS = (auth, dashboard, counties, api, taskforces, projects, outbox, prefs, targets, accounts,
              health, audit, awards, imports, bulletin, exports, corrections, activities,
              supervision, robots)


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to the database's 32-bit integer range: a larger number in a URL
    is a 404, not an overflow error from the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


@login_manager.user_loader
def load_user(cookie_id):
    """The user of a live session named "<user id>:<session key>" (sessions.load), or None."""
    from ..services.accounts import sessions
    from ..settings import session_policy
    return sessions.load(cookie_id, session_policy())


def index():
    """Bureau/admin users land on the progress dashboard, everyone else on the ledger."""
    if getattr(current_user, "role", None) in ("admin", "bureau"):
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("projects.ledger"))


def init_app(app):
    app.url_map.converters["int"] = IdConverter
    for area in BLUEPRINTS:
        app.register_blueprint(area.bp)
    app.add_url_rule("/", "index", index)
    requests.init_app(app)  # timer and NUL check first: before the login guard
    security.init_app(app)  # response headers (CSP, frame, cache) on every response
    static_files.init_app(app)  # ?v=<content hash> on static URLs, a year of cache for them
    app.before_request(guard_login)
    helpers.init_app(app)
    colours.init_app(app)
    errors.init_app(app)
