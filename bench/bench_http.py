"""Benchmark over real HTTP: the app under gunicorn (2 sync workers by default) against a
bare Flask + Jinja page (bench_pages.bare_app: a 50-row table, no database, no login)
served by the same gunicorn in the same run, both loaded by the same client.

    .venv/bin/python bench/bench_http.py [--projects N] [--duration S] [--connections C]

Without --projects the ledger is the demo data (``flask seed``); with --projects N it is
bench_progress's generated ledger of N projects (SQLite, temporary folder). Pages: the
ledger (default, ?year, the deepest page by number, its 上一页 link = a keyset cursor), the
dashboard, a task-force page and /api/v1/progress. For each page it prints requests/s,
p50 and p99 under load (--connections, 2 client threads) and the ratio to the bare page's
requests/s measured just before it, then p50 of the page alone (one connection). The client is Debian's
``wrk`` when installed (``apt-get install -y wrk``), otherwise a Python client with
threads, bounded by request count and time. Loopback only; every server is stopped.

--cache both (the default) serves the app twice, with the progress report cache
(services.memo) off ("before") and on ("after"), and measures the report pages
(dashboard, task-force page, API) on both; ``--cache on|off`` serves one of them.
"""
import argparse
import contextlib
import html
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, ROOT)

import bench_progress as bp  # noqa: E402

from tests.live_server import Client, free_port  # noqa: E402
from tracker.db import database  # noqa: E402

PASSWORD = "bench-password-1"
BARE_ROWS = 50


class Server:
    """gunicorn -w N -k sync on a free loopback port; stopped (and waited for) on exit."""

    def __init__(self, spec, env, workdir, workers, chdir=ROOT):
        self.spec, self.env, self.workdir, self.workers, self.chdir = \
            spec, env, workdir, workers, chdir
        self.proc, self.port = None, free_port()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-k", "sync",
               "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "--timeout", "120",
               "--chdir", self.chdir, self.spec]
        log = open(os.path.join(self.workdir, f"gunicorn-{self.port}.log"), "ab")
        with log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self            # answering (404 on the bare app)
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"gunicorn {self.spec} did not start")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(15)


# --- load generators -------------------------------------------------------------------

def _ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url, cookie, duration, connections):
    """(req/s, p50 ms, p99 ms, non-2xx) from ``wrk --latency``."""
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
           "--timeout", "10s"] + (["-H", f"Cookie: {cookie}"] if cookie else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p50, p99, int(bad.group(1)) if bad else 0


def run_python(url, cookie, duration, connections, max_requests=200_000):
    """The same figures from threads with keep-alive connections (no wrk)."""
    import http.client
    import threading
    split = urllib.parse.urlsplit(url)
    path = split.path + ("?" + split.query if split.query else "")
    times, bad, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + duration

    def worker():
        conn = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
        while time.monotonic() < deadline and len(times) < max_requests:
            t = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            response.read()
            with lock:
                times.append(time.perf_counter() - t)
                bad[0] += response.status >= 400
        conn.close()
    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 60)
    times.sort()
    elapsed = time.monotonic() - start
    return (len(times) / elapsed, times[len(times) // 2] * 1000,
            times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, bad[0])


def load(url, cookie, duration, connections):
    if _has_wrk():
        return run_wrk(url, cookie, duration, connections)
    return run_python(url, cookie, duration, connections)


def _has_wrk():
    from shutil import which
    return which("wrk") is not None


# --- the data and the pages ------------------------------------------------------------

def prepare(args, tmp):
    """Build the database (demo or generated ledger) and a bureau user; returns its URL,
    the year to filter on and a task-force code."""
    url = "sqlite:///" + os.path.join(tmp, "bench.db")
    app = bp.make_app(url, tmp)
    with app.app_context():
        from tracker.models import TaskForce, User
        t = time.perf_counter()
        if args.projects:
            counts = bp.build_ledger(args)
            year = bp.YEAR
        else:
            from tracker import clock
            from tracker.demo import seed
            seed.run(if_empty=False, echo=lambda *a, **k: None)
            counts = {"projects": _count_projects()}
            year = clock.today().year
        print(f"ledger built in {time.perf_counter() - t:.1f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        user = User(username="bench_http", display_name="商务局", role="bureau")
        user.set_password(PASSWORD)
        user.save()
        code = TaskForce.select(TaskForce.code).order_by(TaskForce.code).first().code
        database.close()
    return url, year, code


def _count_projects():
    from tracker.models import Project
    return Project.select().count()


def pages(base, client, year, code):
    """(label, path) of the measured pages; the deep page is the ledger's last one and
    its 上一页 link carries a keyset cursor."""
    first = client.get("/projects/").body
    last = max([int(n) for n in re.findall(r"第 \d+ / (\d+) 页", first)] or [1])
    deep = client.get(f"/projects/?page={last}").body
    prev = re.search(r'href="([^"]*before=[^"]*)"', deep)
    out = [("ledger (default)", "/projects/"), (f"ledger ?year={year}", f"/projects/?year={year}"),
           (f"ledger ?page={last}", f"/projects/?page={last}")]
    if prev:
        out.append(("ledger 上一页 (cursor)", html.unescape(prev.group(1))))
    out += [("dashboard", "/dashboard/"), (f"task force {code}", f"/taskforces/{code}"),
            ("/api/v1/progress", "/api/v1/progress")]
    return out


REPORT_PAGES = ("dashboard", "task force", "/api/v1/progress")


def uncached_app(**kwargs):
    """The app with the progress report cache switched off (the "before" of --cache)."""
    from tracker import create_app
    from tracker.services import memo as cache
    cache.enabled = False
    return create_app(**kwargs)


def measure(app_urls, bare_url, year, code, args):
    """Each page right after its own run of the bare page (the ratio compares two runs
    under the same background load); ``app_urls``: {label: server URL} (cache off / on),
    the pages other than the reports' measured on the last one only."""
    sessions = {}
    for name, url in app_urls.items():
        client = Client(url)
        client.login("bench_http", PASSWORD)
        sessions[name] = (url, client, "; ".join(f"{c.name}={c.value}" for c in client.jar))
    last = list(app_urls)[-1]
    print(f"{'page':<36}{'req/s':>9}{'p50':>9}{'p99':>9}{'bare req/s':>12}{'/bare':>8}"
          f"{'alone p50':>11}")
    for label, path in pages(sessions[last][0], sessions[last][1], year, code):
        for name, (url, client, cookie) in sessions.items():
            if name != last and not label.startswith(REPORT_PAGES):
                continue
            shown = f"{label} [cache {name}]" if len(sessions) > 1 else label
            status = client.get(path).status
            if status != 200:
                print(f"{shown:<36} HTTP {status}")
                continue
            bare = load(bare_url, None, args.duration, args.connections)
            rps, p50, p99, bad = load(url + path, cookie, args.duration, args.connections)
            alone = load(url + path, cookie, max(5, args.duration), 1)[1]
            print(f"{shown:<36}{rps:>9.0f}{p50:>7.1f}ms{p99:>7.1f}ms{bare[0]:>12.0f}"
                  f"{rps / bare[0]:>8.1%}{alone:>9.1f}ms" + (f"  ({bad} errors)" if bad else ""),
                  flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bp.parse_sizes(parser)
    parser.set_defaults(projects=0)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", choices=("both", "on", "off"), default="both",
                        help="the progress report cache: off (before), on, or both")
    args = parser.parse_args()
    print(f"load average at start: {bp.loadavg()}  (cores: {os.cpu_count()}; client: "
          f"{'wrk' if _has_wrk() else 'python threads'}, {args.connections} connections, "
          f"{args.duration} s per page, gunicorn {args.workers} sync workers)")
    with tempfile.TemporaryDirectory(prefix="bench_http_") as tmp:
        url, year, code = prepare(args, tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update(TRACKER_DATABASE_URL=url, TRACKER_SECRET_KEY="bench-http",
                   TRACKER_WTF_CSRF_ENABLED="false", TRACKER_REQUEST_LOG="false")
        instance = os.path.join(tmp, "instance")
        specs = {"off": f"bench_http:uncached_app(instance_path={instance!r})",
                 "on": f"tracker:create_app(instance_path={instance!r})"}
        wanted = ("off", "on") if args.cache == "both" else (args.cache,)
        with contextlib.ExitStack() as stack:
            urls = {name: stack.enter_context(Server(specs[name], env, tmp, args.workers,
                                                     chdir=BENCH)).url for name in wanted}
            bare = stack.enter_context(Server("bench_pages:bare_app()", env, tmp, args.workers,
                                              chdir=BENCH))
            measure(urls, f"{bare.url}/?rows={BARE_ROWS}", year, code, args)
    print(f"load average at end: {bp.loadavg()}")


if __name__ == "__main__":
    main()
