"""``GET /healthz`` for the load balancer, systemd and monitoring (docs/deploy/).

No login (``@public``: the login guard never loads a user for it), one statement
(``SELECT 1``), no write, so nothing reaches the audit log. 200 ``{"status": "ok",
"database": "ok"}``, or 503 ``{"status": "error", "database": "error"}`` when the database
does not answer; the reason goes to the log, not to the (unauthenticated) caller. A 200 is
left out of the request log unless ``REQUEST_LOG_HEALTHZ`` is on (a probe every few
seconds would bury the log); a 503 is always logged (tracker/web/requests.py).
"""
from flask import Blueprint, jsonify

from ..services import health
from .permissions import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    ok = health.database_ok()
    state = "ok" if ok else "error"
    return jsonify(status=state, database=state), 200 if ok else 503
