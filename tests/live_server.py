"""A real multi-worker gunicorn serving tracker, and a stdlib HTTP client with its own
cookie jar, for tests of the write path through HTTP (tests/web/test_http_races.py,
tests/web/test_write_load.py).

Every wait is bounded: the server must answer within STARTUP_TIMEOUT, each request within
REQUEST_TIMEOUT (above SQLite's 15 s busy timeout), and stopping the server waits at most
STOP_TIMEOUT before it is killed.
"""
import http.client
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

from .factories import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 30
REQUEST_TIMEOUT = 40
STOP_TIMEOUT = 10
SECRET_KEY = "live-server-test-secret"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_spec(instance_path):
    """The factory call for ``gunicorn`` / ``flask --app``: the instance folder is the
    test's own, so no instance/config.py of the checkout can change the settings."""
    return f"tracker:create_app(instance_path={str(instance_path)!r})"


def server_env(database_url):
    """The environment of the server and CLI processes: only the settings given here
    (no TRACKER_* of the caller, no mail server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DATABASE_URL=database_url, TRACKER_SECRET_KEY=SECRET_KEY,
               TRACKER_WTF_CSRF_ENABLED="false",
               TRACKER_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", PYTHONUNBUFFERED="1")
    return env


def flask_command(instance_path, *args):
    return [sys.executable, "-m", "flask", "--app", app_spec(instance_path), *args]


class Response(NamedTuple):
    status: int
    location: str
    body: str

    @property
    def location_path(self):
        return urllib.parse.urlsplit(self.location or "").path


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer under test


class Client:
    """One browser: its own cookie jar, redirects not followed."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method, path, data=None):
        body = None if data is None else urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(self.base_url + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=REQUEST_TIMEOUT) as resp:
                return Response(resp.status, resp.headers.get("Location"),
                                resp.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            with exc:
                return Response(exc.code, exc.headers.get("Location"),
                                exc.read().decode("utf-8", "replace"))

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)

    def prepare_post(self, path, data):
        """A POST sent but for its last byte (see :class:`HeldRequest`)."""
        return HeldRequest(self, path, data)

    def login(self, username, password=DEFAULT_PASSWORD):
        response = self.post("/login", {"username": username, "password": password})
        assert response.status == 302, (response.status, response.body[-2000:])
        return response


class HeldRequest:
    """A POST written to its own connection except for the last byte of its body: the
    server has read the headers and runs the view up to the point where it reads the
    form, then waits. :meth:`finish` sends that byte and reads the answer, so requests
    released together by a barrier reach the service within a millisecond or so, not
    after a connect and a send each (which leaves most rounds of a race in series)."""

    def __init__(self, client, path, data):
        split = urllib.parse.urlsplit(client.base_url)
        body = urllib.parse.urlencode(data, doseq=True).encode()
        cookies = "; ".join(f"{c.name}={c.value}" for c in client.jar)
        head = (f"POST {path} HTTP/1.1\r\nHost: {split.netloc}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nCookie: {cookies}\r\n"
                "Connection: close\r\n\r\n").encode("latin-1")
        self.payload = head + body
        self.sock = socket.create_connection((split.hostname, split.port),
                                             timeout=REQUEST_TIMEOUT)
        self.sock.sendall(self.payload[:-1])

    def finish(self):
        try:
            self.sock.sendall(self.payload[-1:])
            response = http.client.HTTPResponse(self.sock)
            response.begin()
            with response:
                return Response(response.status, response.getheader("Location"),
                                response.read().decode("utf-8", "replace"))
        finally:
            self.sock.close()

    def close(self):
        self.sock.close()


def race_held(requests, timeout=60):
    """Finish held requests together (a barrier releases their last bytes)."""
    try:
        time.sleep(0.05)  # every worker has taken its connection and waits for the body
        return race(*[r.finish for r in requests], timeout=timeout)
    finally:
        for r in requests:
            r.close()


def hidden_value(body, name):
    """The value of the hidden input ``name`` on a page (None when it is not there)."""
    match = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % re.escape(name), body)
    return match.group(1) if match else None


class LiveServer:
    """``gunicorn -w N -b 127.0.0.1:<free port> "tracker:create_app(...)"`` as a subprocess.

    Its stdout (request log), stderr (tracebacks) and access log (with the worker pid of
    each request) go to files in ``workdir``."""

    def __init__(self, database_url, workdir, *, workers=2, threads=1):
        self.database_url = database_url
        self.workdir = Path(workdir)
        self.workers = workers
        self.threads = threads
        self.proc = None
        self.port = None
        self.access_log = self.workdir / "gunicorn-access.log"
        self.stdout_path = self.workdir / "gunicorn.out"
        self.stderr_path = self.workdir / "gunicorn.err"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        worker = ["-k", "sync"] if self.threads == 1 else \
            ["-k", "gthread", "--threads", str(self.threads)]
        return [sys.executable, "-m", "gunicorn", "-w", str(self.workers), *worker,
                "-b", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "3",
                # The default control socket is one path in $HOME for every gunicorn.
                "--no-control-socket",
                "--access-logfile", str(self.access_log),
                "--access-logformat", "%(p)s %(m)s %(U)s %(s)s %(L)s",
                app_spec(self.workdir / "instance")]

    def start(self):
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(self.command(), cwd=ROOT,
                                             env=server_env(self.database_url),
                                             stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
            if self._wait_ready():
                self._wait_workers()
                return self
            self.stop()
        raise AssertionError("gunicorn did not start:\n" + self.stderr_tail())

    def _wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        return False

    def worker_pids(self):
        """Pids of the workers that answered a request so far (from the access log)."""
        try:
            lines = self.access_log.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return set()
        return {line.split()[0] for line in lines if line.strip()}

    def _wait_workers(self):
        """Until every worker has answered a request (each loads the app on its own), so a
        race is really between two processes; bounded by STARTUP_TIMEOUT."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            threads = [threading.Thread(target=self._ping) for _ in range(self.workers * 2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(REQUEST_TIMEOUT)
            time.sleep(0.05)

    def _ping(self):
        try:
            with urllib.request.urlopen(self.url + "/login", timeout=5) as resp:
                resp.read()
        except (urllib.error.URLError, OSError):
            pass

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()  # the master stops its workers gracefully
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this test started (new session)
            proc.wait(STOP_TIMEOUT)

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, chars=6000):
        return self.stderr_text()[-chars:]

    def tracebacks(self):
        """Every traceback the server logged (Flask logs one per 500)."""
        text = self.stderr_text()
        blocks = re.split(r"\n(?=\[\d{4}-\d\d-\d\d )", text)
        return [block for block in blocks if "Traceback (most recent call last)" in block]


def race(*calls, timeout=60):
    """Run each call in its own thread, released together by a barrier; returns their
    results in order (an exception in a call is raised here). Never waits past timeout."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a racing request never finished"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
