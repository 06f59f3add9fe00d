"""A local HTTP server speaking both group robots' protocols, for the robot tests (as
tests/mail_server.py is for mail): a ThreadingHTTPServer on a free local port.

Webhook paths: ``/cgi-bin/webhook/send?key=K`` (企业微信) and ``/robot/send?access_token=T``
(钉钉; with ``timestamp`` and ``sign`` verified against ``secrets[T]`` when one is set).
``server.url("wecom", "k1")`` builds a webhook URL. Every accepted message is appended to
``server.messages`` as (kind, key or token, JSON body); ``server.arrived`` holds every
request that reached the handler (even those answered with an error).

Behaviours, per key/token (``server.mode[k]``, default "ok"):
    ok        errcode 0
    rate      the robot's rate-limit answer (45009 / 130101), as long as ``rate_left[k]`` > 0
              (each answer counts one down; default 1), then ok
    http429   HTTP 429, likewise
    invalid   the invalid-URL answer (93000 / 300001)
    notfound  HTTP 404
    timeout   the message is taken, then no answer until the client gives up (the
              connection is held ``hold`` seconds)
    slow      the message is taken and answered after ``delay`` seconds
``stop()`` / ``start()`` take the server down (connection refused) and up on the same port.
"""
import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .mail_server import free_port

CODES = {"wecom": {"rate": 45009, "invalid": 93000}, "dingtalk": {"rate": 130101, "invalid": 300001}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status, data):
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):   # noqa: N802 -- http.server's name
        srv = self.server.robots
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        kind = "dingtalk" if parts.path == "/robot/send" else "wecom"
        key = query.get("access_token" if kind == "dingtalk" else "key", "")
        with srv.lock:
            srv.arrived.append((kind, key, data))
        if kind == "dingtalk" and not srv.signature_ok(key, query):
            return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
        status, answer = srv.behave(kind, key, data)
        if status is not None:
            self._answer(status, answer)


class RobotServer:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages, self.arrived = [], []
        self.mode, self.rate_left, self.secrets = {}, {}, {}
        self.delay, self.hold = 0.5, 3.0
        self.lock = threading.Lock()
        self.bad_signatures = 0
        self.httpd = None

    def url(self, kind, key):
        if kind == "dingtalk":
            return f"http://127.0.0.1:{self.port}/robot/send?access_token={key}"
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key={key}"

    def signature_ok(self, token, query):
        secret = self.secrets.get(token)
        if not secret:
            return True
        ts = query.get("timestamp", "")
        expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(),
                                             hashlib.sha256).digest()).decode()
        fresh = ts.isdigit() and abs(time.time() * 1000 - int(ts)) < 3600 * 1000
        if query.get("sign") != expected or not fresh:
            self.bad_signatures += 1
            return False
        return True

    def _take(self, kind, key, data):
        with self.lock:
            self.messages.append((kind, key, data))

    def behave(self, kind, key, data):
        """(HTTP status, JSON answer), or (None, None) when nothing is to be answered."""
        mode = self.mode.get(key, "ok")
        if mode in ("rate", "http429"):
            with self.lock:
                left = self.rate_left.get(key, 1)
                self.rate_left[key] = left - 1
            if left > 0 and mode == "rate":
                return 200, {"errcode": CODES[kind]["rate"], "errmsg": "api freq out of limit"}
            if left > 0:
                return 429, {"errcode": 429, "errmsg": "too many"}
        elif mode == "invalid":
            return 200, {"errcode": CODES[kind]["invalid"], "errmsg": "invalid webhook url"}
        elif mode == "notfound":
            return 404, {"errmsg": "not found"}
        elif mode == "timeout":
            self._take(kind, key, data)
            time.sleep(self.hold)
            return None, None
        elif mode == "slow":
            time.sleep(self.delay)
        self._take(kind, key, data)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def texts(self, key=None):
        """The markdown text of every accepted message (of one key/token)."""
        return [d["markdown"].get("content") or d["markdown"].get("text")
                for _k, key_, d in self.messages if key in (None, key_)]

    def start(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.robots = self
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
