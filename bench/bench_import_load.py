"""Benchmark over real HTTP (issue 18): four large imports at once, and every other page meanwhile.

    .venv/bin/python bench/bench_import_load.py [--rows 50000] [--users 4] [--database-url URL]

Starts gunicorn (``-w 4``, sync, the default 30 s worker timeout) on a free loopback port
with a temporary instance folder and database (SQLite unless --database-url), runs
``flask db upgrade`` and ``flask seed``, and ONE ``flask scheduler`` process (it claims
queued import jobs). Four bureau users (one import job per user is allowed) each log in,
upload their own --rows-row .xlsx (bench_import.make_table, the seeded task forces and a
seeded county; names differ per user), follow the preview job until done, open the
preview, tick the acknowledgment when asked, commit, and follow the commit job until done,
all at once from threads with the forms' CSRF tokens. Meanwhile another thread, logged in
as the seeded bureau user, requests /dashboard/, /projects/ and /login every 0.5 s.

Prints per upload: upload request, preview job, commit request and commit job times; any
status >= 500 or failed request; for the other pages: count, p50, p95, max and how many
took >= 1 s; and the gunicorn log's WORKER TIMEOUT lines. Goal (issue 18): every other
page under 1 s, no 5xx and no worker timeout. Bounded: --timeout for the whole run, 60 s
per request; every server is stopped. Loopback only.
"""
import argparse
import html
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, ROOT)

import bench_import as bi  # noqa: E402

from tests.live_server import free_port  # noqa: E402

SEED_PASSWORD = "bench-seed-password-1"
REQUEST_TIMEOUT = 60
PAGES = ("/dashboard/", "/projects/", "/login")


def loadavg():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


class Browser:
    """One user's cookie jar; every request bounded; (status, final url, body, seconds)."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path, data=None, headers=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=REQUEST_TIMEOUT) as resp:
                body = resp.read().decode("utf-8", "replace")
                return resp.status, resp.geturl(), body, time.perf_counter() - start
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode("utf-8", "replace"), \
                time.perf_counter() - start

    def post(self, path, fields):
        return self.request(path, urllib.parse.urlencode(fields).encode())

    def login(self, username, password):
        _, _, body, _ = self.request("/login")
        status, url, body, _ = self.post("/login", {
            "csrf_token": csrf(body), "username": username, "password": password})
        if "/login" in urllib.parse.urlsplit(url).path:
            raise RuntimeError(f"login of {username} failed (HTTP {status})")


def csrf(body):
    found = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', body) or \
        re.search(r'value="([^"]*)"[^>]*name="csrf_token"', body)
    return html.unescape(found.group(1)) if found else ""


def multipart(fields, name, filename, data):
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                     f'{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                 f'filename="{filename}"\r\nContent-Type: application/vnd.openxmlformats-'
                 f'officedocument.spreadsheetml.sheet\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Failed(Exception):
    pass


def follow_job(browser, job_id, deadline, errors, label):
    """Poll status.json every second until the job is done; its seconds."""
    start = time.perf_counter()
    while time.monotonic() < deadline:
        status, _, body, _ = browser.request(f"/imports/job/{job_id}/status.json")
        if status >= 500:
            errors.append(f"{label}: status.json HTTP {status}")
        elif status == 200:
            answer = json.loads(body)
            if answer["state"] == "done":
                return time.perf_counter() - start
            if answer["state"] in ("failed", "cancelled") or answer.get("error"):
                raise Failed(f"{label}: job {job_id} {answer['state']}: {answer.get('error')}")
        time.sleep(1)
    raise Failed(f"{label}: job {job_id} not done before the deadline")


def import_one(base, username, password, data, deadline, result):
    errors = result["errors"]
    try:
        b = Browser(base)
        b.login(username, password)
        _, _, body, _ = b.request("/imports/")
        payload, headers = multipart({"csrf_token": csrf(body)}, "file", "bench.xlsx", data)
        result["start"] = time.monotonic()
        status, url, body, seconds = b.request("/imports/upload", payload, headers)
        result["upload"] = seconds
        if status >= 500:
            errors.append(f"upload HTTP {status}")
        job = re.search(r"/imports/job/(\d+)", url)
        if job:
            result["preview_job"] = follow_job(b, int(job.group(1)), deadline, errors, "preview")
        elif "/imports/preview" not in url:
            raise Failed(f"upload answered HTTP {status} at {url}: "
                         + " ".join(re.findall(r'class="error">([^<]*)', body))[:300])
        status, url, body, seconds = b.request("/imports/preview")
        result["preview_page"] = seconds
        if status != 200 or "/imports/preview" not in url:
            raise Failed(f"preview page HTTP {status} at {url}")
        form = body[body.index('action="/imports/commit"'):]
        fields = {"csrf_token": csrf(form)}
        token = re.search(r'name="token"[^>]*value="([^"]*)"', form) or \
            re.search(r'value="([^"]*)"[^>]*name="token"', form)
        fields["token"] = html.unescape(token.group(1))
        if 'name="on_duplicate"' in form:
            fields["on_duplicate"] = "skip"
        if 'name="acknowledge"' in form:
            fields["acknowledge"] = "y"
            result["acknowledged"] = True
        status, url, body, seconds = b.post("/imports/commit", fields)
        result["commit"] = seconds
        if status >= 500:
            errors.append(f"commit HTTP {status}")
        job = re.search(r"/imports/job/(\d+)", url)
        if job:
            result["commit_job"] = follow_job(b, int(job.group(1)), deadline, errors, "commit")
        elif "/imports/batch" not in url:
            raise Failed(f"commit answered HTTP {status} at {url}: "
                         + " ".join(re.findall(r'class="flash[^"]*"[^>]*>([^<]*)', body))[:300])
        result["total"] = time.monotonic() - result["start"]
    except Exception as exc:   # reported, the run goes on
        errors.append(f"{type(exc).__name__}: {exc}")


def watch_pages(base, username, password, stop, samples):
    b = Browser(base)
    b.login(username, password)
    i = 0
    while not stop.is_set():
        path = PAGES[i % len(PAGES)]
        i += 1
        try:
            status, _, _, seconds = b.request(path)
        except Exception as exc:  # a timeout or a reset (worker killed)
            status, seconds = type(exc).__name__, REQUEST_TIMEOUT
        samples.append((path, status, seconds, time.monotonic()))
        stop.wait(0.5)


def prepare(tmp, url, env, instance, users):
    """Upgrade and seed through the CLI, then the import users; (task-force codes, county)."""
    spec = f"tracker:create_app(instance_path={instance!r})"
    for args in (["db", "upgrade"], ["seed"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", spec, *args], cwd=ROOT, env=env,
                       check=True, timeout=300, stdout=subprocess.DEVNULL)
    from tracker import create_app
    from tracker.db import database
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": None},
                     instance_path=os.path.join(tmp, "setup-instance"))
    with app.app_context():
        from tracker.models import County, TaskForce, User
        teams = [t.code for t in TaskForce.select().where(TaskForce.active == True)  # noqa: E712
                 .order_by(TaskForce.code)]
        county = County.select().order_by(County.id).first().code
        for name in users:
            user = User(username=name, display_name=f"导入{name[-1]}", role="bureau",
                        email=f"{name}@example.com")
            user.set_password(SEED_PASSWORD)
            user.save()
        database.close()
    return teams, county


def files(rows, count, teams, county):
    keys = [key for _, key in bi.import_rules.COLUMNS]
    name_at, county_at = keys.index("name"), keys.index("county")
    table = bi.make_table(rows, teams)
    out = []
    for n in range(count):
        copy = [table[0]] + [row[:name_at] + [f"U{n}{row[name_at]}"] + row[name_at + 1:]
                             for row in table[1:]]
        for row in copy[1:]:
            row[county_at] = county
        out.append(bi.xlsx_file(copy))
    return out


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p))]


def report(results, samples, log_path, started):
    fmt = lambda v: f"{v:8.1f}" if isinstance(v, float) else f"{'-':>8}"  # noqa: E731
    print(f"{'user':<10}{'upload':>8}{'prev.job':>9}{'prev.pg':>8}{'commit':>8}"
          f"{'comm.job':>9}{'total':>8}  (seconds)")
    for name, r in results.items():
        print(f"{name:<10}{fmt(r.get('upload'))}{fmt(r.get('preview_job'))} "
              f"{fmt(r.get('preview_page'))}{fmt(r.get('commit'))} {fmt(r.get('commit_job'))}"
              f"{fmt(r.get('total'))}" + ("  ack" if r.get("acknowledged") else "")
              + "".join(f"\n    ! {e}" for e in r["errors"]))
    print(f"\nother pages while importing (every 0.5 s, bureau user), "
          f"{time.monotonic() - started:.0f} s:")
    print(f"{'page':<14}{'count':>6}{'p50':>8}{'p95':>8}{'max':>8}{'>=1s':>6}{'5xx/fail':>9}")
    for path in PAGES + ("all",):
        rows = [s for s in samples if path in ("all", s[0])]
        if not rows:
            continue
        times = sorted(s[2] for s in rows)
        bad = sum(1 for s in rows if not isinstance(s[1], int) or s[1] >= 500)
        print(f"{path:<14}{len(rows):>6}{pct(times, .5):>7.3f}s{pct(times, .95):>7.3f}s"
              f"{times[-1]:>7.3f}s{sum(t >= 1 for t in times):>6}{bad:>9}")
    slow = [s for s in samples if s[2] >= 1 or not isinstance(s[1], int) or s[1] >= 500]
    for path, status, seconds, at in slow[:20]:
        print(f"    slow/failed: {path} {status} {seconds:.2f} s at +{at - started:.0f} s")
    with open(log_path, encoding="utf-8", errors="replace") as log:
        lines = [line.strip() for line in log]
    timeouts = [line for line in lines if "WORKER TIMEOUT" in line]
    raised = {}
    for line in lines:   # the last line of each traceback: the exception a 500 came from
        if re.match(r"^[\w.]+(Error|Exception|Timeout)\b", line):
            raised[line[:160]] = raised.get(line[:160], 0) + 1
    for line, count in list(raised.items())[:5]:
        print(f"gunicorn log exception x{count}: {line}")
    print(f"gunicorn WORKER TIMEOUT lines: {len(timeouts)}")
    for line in timeouts[:5]:
        print("    " + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=900, help="seconds for the whole run")
    parser.add_argument("--database-url", help="postgresql://... of an empty database")
    args = parser.parse_args()
    print(f"load average at start: {loadavg()}  (cores: {os.cpu_count()}; {args.users} x "
          f"{args.rows:,} rows, gunicorn -w {args.workers} sync, timeout 30 s)", flush=True)
    procs = []
    with tempfile.TemporaryDirectory(prefix="bench_import_load_") as tmp:
        instance = os.path.join(tmp, "instance")
        url = args.database_url or "sqlite:///" + os.path.join(tmp, "bench.db")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update(TRACKER_DATABASE_URL=url, TRACKER_SECRET_KEY="bench-import-load",
                   TRACKER_SEED_PASSWORD=SEED_PASSWORD, TRACKER_MAIL_SERVER="",
                   TRACKER_REQUEST_LOG="false", PYTHONUNBUFFERED="1")
        users = [f"bench_imp{n}" for n in range(1, args.users + 1)]
        teams, county = prepare(tmp, url, env, instance, users)
        t = time.perf_counter()
        datas = files(args.rows, args.users, teams, county)
        print(f"{args.users} files of {args.rows:,} rows built in {time.perf_counter() - t:.0f} s, "
              f"{len(datas[0]) / 1048576:.1f} MB each; task forces {', '.join(teams)}", flush=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        spec = f"tracker:create_app(instance_path={instance!r})"
        log_path = os.path.join(tmp, "gunicorn.log")
        try:
            with open(log_path, "ab") as log:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-k", "sync",
                     "-b", f"127.0.0.1:{port}", "--no-control-socket", "--chdir", ROOT, spec],
                    cwd=ROOT, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                    start_new_session=True))
            with open(os.path.join(tmp, "scheduler.log"), "ab") as log:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", spec, "scheduler"], cwd=ROOT,
                    env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                    start_new_session=True))
            ready = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2).close()
                    break
                except urllib.error.HTTPError:
                    break
                except OSError as exc:
                    if time.monotonic() > ready:
                        raise SystemExit("gunicorn did not start") from exc
                    time.sleep(0.2)
            deadline = time.monotonic() + args.timeout
            stop, samples = threading.Event(), []
            watcher = threading.Thread(target=watch_pages, daemon=True,
                                       args=(base, "bureau", SEED_PASSWORD, stop, samples))
            watcher.start()
            time.sleep(3)    # a few samples before the imports start
            started = time.monotonic()
            results = {name: {"errors": []} for name in users}
            threads = [threading.Thread(target=import_one, daemon=True,
                                        args=(base, name, SEED_PASSWORD, data, deadline,
                                              results[name]))
                       for name, data in zip(users, datas)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(max(1, deadline - time.monotonic()))
            stop.set()
            watcher.join(REQUEST_TIMEOUT + 5)
            report(results, samples, log_path, started)
            if procs[1].poll() is not None:
                print(f"scheduler exited with {procs[1].returncode}")
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(15)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, 9)
                        proc.wait(15)
            sched_log = os.path.join(tmp, "scheduler.log")
            if os.path.exists(sched_log):
                with open(sched_log, encoding="utf-8", errors="replace") as log:
                    lines = [x.rstrip() for x in log if "Traceback" in x or "ERROR" in x]
                if lines:
                    print("scheduler log errors:\n    " + "\n    ".join(lines[:10]))
    print(f"load average at end: {loadavg()}")


if __name__ == "__main__":
    main()
