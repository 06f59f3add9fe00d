"""Request hooks: refuse a NUL byte in the URL, log one line per request, and name the
client address as the origin of the request's audit rows.

A NUL byte is never typed by a person, and PostgreSQL refuses it in any text it is given:
a query argument or path carrying one is answered 400 before a view can pass it on. (Forms
keep their field messages: every service refuses NUL in text it stores, see domain.text.)

Request log: ``METHOD path status ms user=<id>`` on the ``tracker.requests`` logger, written
to stdout (one line per request) unless ``REQUEST_LOG`` is off. Under ``TESTING`` no stdout
handler is attached: the records propagate to the root logger, where pytest keeps them
(shown only for a failing test).
"""
import logging
import sys
import time

from flask import abort, current_app, g, request

from ..services import audit

log = logging.getLogger("tracker.requests")

NUL_IN_URL = "请求地址或参数包含无效字符（NUL），请检查链接后重试。"


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


def log_request(response):
    """after_request: one line per request (also for error pages, 500 included)."""
    if current_app.config.get("REQUEST_LOG", True):
        started = g.get("request_started")
        ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        log.info("%s %s %s %.1fms user=%s", request.method, request.path,
                 response.status_code, ms, _user_id())
    return response


def _setup_logging(app):
    log.setLevel(logging.INFO)
    if app.testing or not app.config.get("REQUEST_LOG", True):
        return
    if not any(isinstance(h, StdoutHandler) for h in log.handlers):
        handler = StdoutHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
    log.propagate = False  # one line on stdout, not again through the root logger


def init_app(app):
    """Register the hooks; call before any other before_request (login guard included)."""
    _setup_logging(app)
    app.before_request(start_request)
    app.before_request(refuse_nul)
    app.after_request(log_request)
    app.teardown_request(end_request)
