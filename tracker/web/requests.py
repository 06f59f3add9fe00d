"""Request hooks: refuse a NUL byte in the URL, log one line per request, and name the
client address as the origin of the request's audit rows.

A NUL byte is never typed by a person, and PostgreSQL refuses it in any text it is given:
a query argument or path carrying one is answered 400 before a view can pass it on. (Forms
keep their field messages: every service refuses NUL in text it stores, see domain.text.)

Request log: ``METHOD path status ms user=<id> req=<request id>`` on the ``tracker.requests``
logger, written to stdout (one line per request) unless ``REQUEST_LOG`` is off. Under
``TESTING`` no stdout handler is attached: the records propagate to the root logger, where
pytest keeps them (shown only for a failing test). A 200 of ``/healthz`` is left out unless
``REQUEST_LOG_HEALTHZ`` is on.

Request id: the incoming ``X-Request-ID`` (nginx sets it, docs/deploy/nginx.conf) when it is
1-64 characters of letters, digits and ``. _ : -``; otherwise a new one (32 hex digits, like
nginx's ``$request_id``). It is echoed in the response's ``X-Request-ID`` header and added to
the request log line and to the app logger's error records (the traceback of a 500 goes to
stderr through Flask's logger with ``request_id=<id>`` on its first line).

Behind a reverse proxy (docs/deploy/nginx.conf) every request comes from 127.0.0.1: with
``PROXY_COUNT`` = the number of proxies in front of the app (nginx alone: 1), the client
address (audit origin, login throttling) and scheme are read from the X-Forwarded-For and
X-Forwarded-Proto headers the proxies set (werkzeug's ProxyFix). The default 0 trusts no
such header: a client reaching gunicorn directly could otherwise pick its own address.
"""
import logging
import re
import sys
import time
import uuid

from flask import abort, current_app, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ..services import audit

log = logging.getLogger("tracker.requests")

NUL_IN_URL = "请求地址或参数包含无效字符（NUL），请检查链接后重试。"
REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
HEALTH_ENDPOINT = "health.healthz"


def request_id():
    """This request's id: the client's (proxy's) X-Request-ID if it is safe, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def refuse_nul():
    """before_request: 400 when the path or any query argument (name or value) holds NUL."""
    if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400, description=NUL_IN_URL)


class StdoutHandler(logging.StreamHandler):
    """A stream handler writing to whatever ``sys.stdout`` is at the time (never a stream
    that has since been replaced and closed)."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def start_request():
    """before_request: the clock for the request log; audit rows written by this request
    come from the client's address."""
    g.request_started = time.perf_counter()
    request_id()
    origin = audit.origin(request.remote_addr or "")
    origin.__enter__()
    g.audit_origin = origin


def end_request(exc):
    """teardown_request: the origin set by :func:`start_request` ends with the request."""
    origin = g.pop("audit_origin", None)
    if origin is not None:
        try:
            origin.__exit__(None, None, None)
        except ValueError:  # torn down in another context: nothing of ours is left there
            pass


def _user_id():
    # flask_login keeps the loaded user in g; reading current_user here would load one for
    # requests (static files) that never needed it.
    user = g.get("api_user") or g.get("_login_user")
    return getattr(user, "id", None) or "-"


def _logged(response):
    config = current_app.config
    if not config.get("REQUEST_LOG", True):
        return False
    return (request.endpoint != HEALTH_ENDPOINT or response.status_code != 200
            or config.get("REQUEST_LOG_HEALTHZ", False))


def log_request(response):
    """after_request: the request id in the response; one line per request (also for
    error pages, 500 included)."""
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    if _logged(response):
        started = g.get("request_started")
        ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        log.info("%s %s %s %.1fms user=%s req=%s", request.method, request.path,
                 response.status_code, ms, _user_id(), rid)
    return response


class RequestIdFilter(logging.Filter):
    """On the app logger: an error record logged during a request (Flask's "Exception on
    /path [GET]" before the traceback) names the request id of the log line."""

    def filter(self, record):
        if record.levelno >= logging.ERROR and has_request_context() and \
                not getattr(record, "request_id", None):
            record.request_id = request_id()
            record.msg = f"{record.msg} request_id={record.request_id}"
        return True


def _setup_logging(app):
    log.setLevel(logging.INFO)
    app_log = logging.getLogger(app.name)  # app.logger's logger, without creating its handler
    if not any(isinstance(f, RequestIdFilter) for f in app_log.filters):
        app_log.addFilter(RequestIdFilter())
    if app.testing or not app.config.get("REQUEST_LOG", True):
        return
    if not any(isinstance(h, StdoutHandler) for h in log.handlers):
        handler = StdoutHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
    log.propagate = False  # one line on stdout, not again through the root logger


def _trust_proxies(app):
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0 and not isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def init_app(app):
    """Register the hooks; call before any other before_request (login guard included)."""
    _trust_proxies(app)
    _setup_logging(app)
    app.before_request(start_request)
    app.before_request(refuse_nul)
    app.after_request(log_request)
    app.teardown_request(end_request)
