"""A load test with a real load-testing tool (issue 23): locust (bench/locustfile.py) against
gunicorn (4 sync workers) + the scheduler process + PostgreSQL holding the 100,000-project
ledger, then the write check and `flask figures check`.

    .venv/bin/python bench/loadtest.py [--duration 300] [--users 200] [--spawn-rate 2]
                                       [--url postgresql://postgres@127.0.0.1:5432/tracker_loadtest]
    make loadtest [LOADTEST_DURATION=60]

1. The database (bench/load_data.py): created and filled with bench_progress's ledger when it
   holds no project (reused after: --rebuild starts over), and the 200 accounts (150 members
   over the 50 task forces, 40 bureau users, 10 leaders) created through the accounts service.
2. gunicorn -w 4 -k sync and `flask scheduler` on that database (CSRF on, the request log on,
   production's password hashing), on a free loopback port.
3. locust headless: --users simulated people (150 : 40 : 10), --spawn-rate a second, for
   --duration seconds; its CSVs, the writes file and the servers' logs go to --folder.
4. The servers are stopped; then the write check (bench/load_check.py: every accepted write
   in the database exactly once, no refused one, no row the client was not told about),
   `flask figures check` (no drift), and the tables: locust's per page group, the request
   log's (time inside the app), and where the machine's CPU went during the run (other
   processes named: this machine is shared).
Exit status 1 when a write check, the drift check or a request failed.
"""
import argparse
import datetime
import os
import subprocess
import sys
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, ROOT)

import bench_progress as bp  # noqa: E402
import cpu_use  # noqa: E402
import load_check  # noqa: E402
import load_data  # noqa: E402
from bench_http import Server  # noqa: E402

from tracker.db import database  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/tracker_loadtest"
BIN = os.path.dirname(sys.executable)
CAUGHT_UP = "补跑错过或失败的任务"   # the catch-up job's name; its "executed successfully"
                                      # line in the log ends the start-up work


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int,
                        default=int(os.environ.get("LOADTEST_DURATION", 300)), help="seconds")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=2,
                        help="users started (each logging in) a second")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--wait", default=os.environ.get("LOADTEST_WAIT", "3,10"),
                        help="seconds a person waits between pages: min,max (leaders twice)")
    parser.add_argument("--url", default=os.environ.get("TRACKER_LOADTEST_POSTGRES_URL", DEFAULT_URL),
                        help="PostgreSQL database of the load test (created when missing)")
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="drop and build the database anew")
    parser.add_argument("--folder", default=os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                         "tracker_loadtest"))
    return parser.parse_args()


def server_env(url, base_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "LOADTEST_"))}
    env.update(TRACKER_DATABASE_URL=url, TRACKER_SECRET_KEY="tracker-loadtest-secret",
               TRACKER_BASE_URL=base_url, PYTHONUNBUFFERED="1")
    return env


class Scheduler:
    """`flask scheduler` (the jobs process of docs/deploy) for the run's length."""

    def __init__(self, spec, env, log_path):
        self.cmd = [os.path.join(BIN, "flask"), "--app", spec, "scheduler"]
        self.env, self.log_path, self.proc = env, log_path, None

    def __enter__(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def wait_caught_up(self, timeout=300):
        """Until the scheduler's start-up catch-up (a missed nightly recompute, stale scan,
        quarter closes, ...) has finished, so the load meets a settled server."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                if any(CAUGHT_UP in line and "executed successfully" in line for line in log):
                    return True
            time.sleep(1)
        return False

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class LoadSampler(threading.Thread):
    """Every 2 s while locust runs: the 1-minute load average and every process's CPU time
    (cpu_use.Tracker)."""

    def __init__(self, cpu):
        super().__init__(daemon=True)
        self.cpu, self.samples, self.stopping = cpu, [], threading.Event()

    def run(self):
        self.cpu.start()
        while not self.stopping.wait(2):
            self.samples.append(os.getloadavg()[0])
            self.cpu.sample()

    def stop(self):
        self.stopping.set()
        self.join(30)
        self.cpu.sample()

    def summary(self):
        s = self.samples or [0.0]
        return f"min {min(s):.1f}, mean {sum(s) / len(s):.1f}, max {max(s):.1f}"


def run_locust(args, host, people, writes, run, prefix):
    """Run locust to its end; (its process, exit status)."""
    env = dict(os.environ, LOADTEST_PEOPLE=people, LOADTEST_WRITES=writes, LOADTEST_RUN=run,
               LOADTEST_WAIT=args.wait, LOADTEST_TIMES=prefix + "_times.json")
    cmd = [os.path.join(BIN, "locust"), "-f", os.path.join(BENCH, "locustfile.py"), "--headless",
           "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
           "--run-time", f"{args.duration}s", "--stop-timeout", "30", "--host", host,
           "--csv", prefix, "--only-summary", "--loglevel", "WARNING"]
    with open(prefix + "_locust.log", "ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL)
        try:
            return proc, proc.wait(args.duration + 180)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            return proc, -9


def warm_up(url, workers):
    """A few requests of the login page, so every worker has loaded the app and its
    templates before the clock starts."""
    import urllib.request
    for _ in range(workers * 4):
        with urllib.request.urlopen(url + "/login", timeout=60) as response:
            response.read()


def figures_check(spec, env):
    done = subprocess.run([os.path.join(BIN, "flask"), "--app", spec, "figures", "check"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode, (done.stdout + done.stderr).strip().splitlines()


def check_writes(args, folder, writes, run, since):
    app = bp.make_app(args.url, folder)
    with app.app_context():
        try:
            return load_check.check_writes(load_check.read_writes(writes), run, since)
        finally:
            database.close()


def checkout():
    """The code under test: the commit and how many files differ from it (other helpers may
    be changing the checkout while the test runs)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return f"{git('log', '-1', '--format=%h %cs')}, {len(git('status', '--short').splitlines())} files changed"


def serve_and_load(args, spec, people, run, prefix):
    """gunicorn + the scheduler, settled, then locust; (locust's exit status, CPU lines,
    server port, server environment)."""
    server = Server(spec, None, args.folder, args.workers)
    env = server.env = server_env(args.url, server.url)
    with server, Scheduler(spec, env, prefix + "_scheduler.log") as scheduler:
        t = time.perf_counter()
        caught_up = scheduler.wait_caught_up()
        warm_up(server.url, args.workers)
        print(f"scheduler start-up catch-up {'done' if caught_up else 'NOT done'} after "
              f"{time.perf_counter() - t:.0f} s; workers warmed up", flush=True)
        print(f"gunicorn {args.workers} workers at {server.url} (pid {server.proc.pid}), "
              f"scheduler pid {scheduler.proc.pid}; locust: {args.users} users, "
              f"{args.spawn_rate}/s, {args.duration} s, waits {args.wait} s; run {run}", flush=True)
        sampler = LoadSampler(cpu_use.Tracker(args.url.rsplit("/", 1)[1], {
            server.proc.pid: "gunicorn (master and workers)", scheduler.proc.pid: "scheduler"}))
        sampler.start()
        _locust, status = run_locust(args, server.url, people, prefix + "_writes.jsonl", run, prefix)
        sampler.stop()
    cpu = sampler.cpu.lines()
    cpu.insert(0, f"  (load average: {sampler.summary()})")
    return status, cpu, server.port, env


def report(args, spec, env, run, prefix, since, port):
    """The tables and checks after the run; (lines, problems, drift check's exit status)."""
    lines = load_check.stats_table(prefix + "_times.json", args.duration)
    lines += ["", "failures:"] + (load_check.failures(prefix) or ["  none"])
    summary, problems = check_writes(args, args.folder, prefix + "_writes.jsonl", run, since)
    lines += ["", "write check:"] + ["  " + line for line in summary]
    lines += [f"  PROBLEM {p}" for p in problems[:30]] or [
        "  every accepted write is in the database exactly once (and its audit row)"]
    code, drift = figures_check(spec, env)
    lines += ["", f"flask figures check: exit status {code}"] + ["  " + line for line in drift[:20]]
    lines += ["", "in the app (gunicorn's request log):"]
    lines += load_check.server_table(os.path.join(args.folder, f"gunicorn-{port}.log"))
    return lines, problems, code


def main():
    args = parse_args()
    os.makedirs(args.folder, exist_ok=True)
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} cores: {os.cpu_count()}, load average "
          f"at start: {bp.loadavg()}; code: {checkout()}", flush=True)
    people = load_data.prepare(args.url, args.folder, args.projects, args.rebuild)
    run = "LT" + time.strftime("%m%d%H%M%S")
    prefix = os.path.join(args.folder, run)
    spec = f"tracker:create_app(instance_path={os.path.join(args.folder, 'instance')!r})"
    since = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    status, cpu, port, env = serve_and_load(args, spec, people, run, prefix)
    lines, problems, code = report(args, spec, env, run, prefix, since, port)
    lines = [f"locust exit status {status}", ""] + lines
    lines += ["", "CPU seconds from locust's start to its end:"] + cpu
    print("\n".join(lines))
    with open(prefix + "_report.txt", "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print(f"\nfiles: {prefix}_*", flush=True)
    sys.exit(1 if problems or code or status else 0)


if __name__ == "__main__":
    main()
