"""Many writers at once on SQLite (the default backend): gunicorn with 2 workers, 8 client
threads writing targets, checkpoint shares, task forces, project edits and stage changes
for a few seconds, while the nightly jobs and the weekly summaries run from the command
line against the same database file. No request may fail with a 500 ("database is
locked" was the failure before every transaction opened with BEGIN IMMEDIATE and a 15 s
busy timeout, docs/design.md, The write path), every command exits 0 and every job run
is recorded ok.
"""
import collections
import datetime
import subprocess
import threading
import time

import pytest

from tests.conftest import clean_tables, make_app
from tests.factories import make_project, make_task_force, make_user
from tests.live_server import (
    REQUEST_TIMEOUT, Client, LiveServer, flask_command, hidden_value, server_env,
)
from tracker import clock
from tracker.domain import metrics as M
from tracker.domain import pipeline
from tracker.models import CheckpointShare, JobRun, StageEvent, TaskForceTarget

CLIENTS = 8
DURATION = 6.0               # seconds of load
MAX_ITERATIONS = 200         # per client: the load is bounded by count as well as time
CLI_TIMEOUT = 60             # seconds a round of commands may take
JOBS = ("staleness-scan", "nightly-recompute")
TEAMS = ("TF1", "TF2", "TF3")
KINDS = ("target", "shares", "taskforce", "project_edit", "stage")
# What each kind of request may answer: anything else (a 500 above all) fails the test.
ALLOWED = {
    "login": {302},
    "target": {302},
    "shares": {302},
    "taskforce": {302},
    "project_edit_form": {200},
    "project_edit": {200, 302},     # 200: refused as stale (somebody saved in between)
    "project_page": {200},
    "stage": {200, 302},            # 200: refused, the stage changed in between
}
NEXT_STAGE = {pipeline.RESERVE: pipeline.PACKAGED, pipeline.PACKAGED: pipeline.NEGOTIATING}


@pytest.fixture
def world(tmp_path):
    """A fresh SQLite file with demo-like data: task forces, a bureau user, a member per
    task force, projects at several stages (some long without progress)."""
    url = "sqlite:///" + str(tmp_path / "load.db")
    app = make_app(url, tmp_path / "instance")
    try:
        with app.app_context():
            make_user("chief", "bureau")
            teams, projects = {}, []
            for i, code in enumerate(TEAMS):
                team = make_task_force(code, kind="6")
                member = make_user(f"member{i}", "member", task_forces=[team])
                teams[code] = (team.id, member.id)
                for j, stage in enumerate((pipeline.RESERVE, pipeline.PACKAGED,
                                           pipeline.NEGOTIATING, pipeline.RESERVE)):
                    name = f"{code}压测项目{j}"
                    p = make_project(team.id, name, stage=stage,
                                     on=clock.today() - datetime.timedelta(days=40 + 50 * j))
                    projects.append((p.id, name, team.id))
                for days in (75, 120, 200):   # long without progress: the scans flag these
                    make_project(team.id, f"{code}停滞项目{days}", stage=pipeline.NEGOTIATING,
                                 on=clock.today() - datetime.timedelta(days=days))
        yield app, url, teams, projects
    finally:
        with app.app_context():
            clean_tables()


class Load:
    def __init__(self, server, teams, projects, deadline):
        self.server, self.teams, self.projects, self.deadline = server, teams, projects, deadline
        self.year = clock.today().year
        self.today = clock.today().isoformat()
        self.counts = collections.Counter()
        self.failures = []
        self.lock = threading.Lock()

    def record(self, kind, method, path, response):
        with self.lock:
            self.counts[(kind, response.status)] += 1
            if response.status not in ALLOWED[kind]:
                self.failures.append((kind, method, path, response.status,
                                      response.body[-800:]))
        return response

    def call(self, client, kind, method, path, data=None):
        try:
            response = client.request(method, path, data)
        except Exception as exc:  # noqa: BLE001 - a timeout or reset is a failure too
            with self.lock:
                self.counts[(kind, type(exc).__name__)] += 1
                self.failures.append((kind, method, path, repr(exc), ""))
            return None
        return self.record(kind, method, path, response)

    def run_client(self, index):
        client = Client(self.server.url)
        if self.call(client, "login", "POST", "/login",
                     {"username": "chief", "password": "password123"}) is None:
            return
        for k in range(MAX_ITERATIONS):
            if time.monotonic() >= self.deadline:
                return
            kind = KINDS[(index + k) % len(KINDS)]
            getattr(self, kind)(client, index, k)

    # --- one write of each kind ------------------------------------------------------

    def target(self, client, i, k):
        code = TEAMS[(i + k) % len(TEAMS)]
        # Money in 亿元, near the defaults: never a change the form asks to confirm
        # (×10, ÷10, below the floor); empty = unchanged.
        data = {"packaged_value": str(100 + (7 * i + k) % 20), "negotiations": str(20 + k % 7),
                "signed_value": f"{20 + (i + k) % 9}.5", "funds_received": "",
                "reason": f"压测 {i}-{k}"}
        self.call(client, "target", "POST", f"/targets/{self.year}/team/{code}", data)

    def shares(self, client, i, k):
        steps = ("25", "50", "75", "100") if (i + k) % 2 else ("20", "45", "80", "100")
        data = {f"{key}_q{q}": steps[q - 1] for key in M.KEYS for q in range(1, 5)}
        self.call(client, "shares", "POST", f"/targets/{self.year}/shares", data)

    def taskforce(self, client, i, k):
        code = TEAMS[(i + 2 * k) % len(TEAMS)]
        _team_id, member_id = self.teams[code]
        data = {"code": code, "name": f"{code}专班", "kind": "6", "industry": "精细化工",
                "lead_department": "市工信局", "leader": f"负责人{i}-{k}", "active": "y",
                "members": [str(member_id)]}
        self.call(client, "taskforce", "POST", f"/taskforces/{code}/edit", data)

    def _project(self, i, k):
        return self.projects[(7 * i + k) % len(self.projects)]

    def project_edit(self, client, i, k):
        pid, name, team_id = self._project(i, k)
        page = self.call(client, "project_edit_form", "GET", f"/projects/{pid}/edit")
        if page is None or page.status != 200:
            return
        data = {"version": hidden_value(page.body, "version") or "", "name": name,
                "task_force": str(team_id), "county": "", "investor": "",
                "investor_region": "", "capital_type": "domestic", "industry": "精细化工",
                "planned_investment": str(1000 + k), "contract_value": "",
                "signing_grade": "", "expected_sign_date": "", "owner": "", "contact": "",
                "next_step": f"压测 {i}-{k}", "problems": "",
                "change_kind": "correction", "change_on": "", "change_reason": "压测更正"}
        self.call(client, "project_edit", "POST", f"/projects/{pid}/edit", data)

    def stage(self, client, i, k):
        pid, _name, _team = self._project(i, k + 3)
        page = self.call(client, "project_page", "GET", f"/projects/{pid}")
        if page is None or page.status != 200:
            return
        seen = hidden_value(page.body, "stage-expected_stage") or ""
        target = NEXT_STAGE.get(seen, pipeline.RESERVE)   # forward, or back with a note
        data = {"stage-expected_stage": seen, "stage-stage": target, "stage-on": self.today,
                "stage-contract_value": "", "stage-signing_grade": "",
                "stage-note": f"压测回退 {i}-{k}"}
        self.call(client, "stage", "POST", f"/projects/{pid}/stage", data)


def _commands(instance, today):
    return [
        flask_command(instance, "recompute"),
        flask_command(instance, "scheduler", "run", "staleness-scan", "--as-of", today),
        flask_command(instance, "scheduler", "run", "nightly-recompute", "--as-of", today),
        flask_command(instance, "summaries", "build"),
    ]


def _run_commands(commands, env, cwd, runs):
    """Start every command at once, wait for all (bounded), append (args, rc, out, err)."""
    procs = [subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
             for cmd in commands]
    deadline = time.monotonic() + CLI_TIMEOUT
    for cmd, proc in zip(commands, procs):
        try:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate(timeout=10)
            err += f"\n(killed after {CLI_TIMEOUT} s)"
        runs.append((cmd[5:], proc.returncode, out, err))


def test_writes_under_load_never_fail(world, tmp_path):
    app, url, teams, projects = world
    server = LiveServer(url, tmp_path, workers=2, threads=4)
    runs = []
    started = time.monotonic()
    try:
        server.start()
        boot = time.monotonic() - started
        load = Load(server, teams, projects, time.monotonic() + DURATION)
        clients = [threading.Thread(target=load.run_client, args=(i,), daemon=True)
                   for i in range(CLIENTS)]
        for thread in clients:
            thread.start()
        commands = _commands(tmp_path / "instance", clock.today().isoformat())
        env = server_env(url)
        time.sleep(0.5)  # the clients are writing when the commands start
        rounds = 0
        while True:       # at least one round; another while the load still runs
            _run_commands(commands, env, server.workdir, runs)
            rounds += 1
            if time.monotonic() > load.deadline - 2.5:
                break
        stop_by = load.deadline + 2 * REQUEST_TIMEOUT  # the last requests may still run
        for thread in clients:
            thread.join(max(0.0, stop_by - time.monotonic()))
        assert not any(t.is_alive() for t in clients), "a client never finished"
        elapsed = time.monotonic() - started
    finally:
        server.stop()

    total = sum(load.counts.values())
    print(f"\nload: {total} requests in {elapsed:.1f} s (server boot {boot:.1f} s), "
          f"{CLIENTS} clients, {rounds} command round(s)")
    for (kind, status), n in sorted(load.counts.items(), key=str):
        print(f"  {kind:<18} {status}  {n}")
    for args, rc, out, _err in runs:
        print(f"  $ flask {' '.join(args)} -> {rc}: {out.strip().splitlines()[-1:]}")

    server_errors = [f for f in load.failures if f[3] == 500]
    assert not server_errors, (
        f"{len(server_errors)} of {total} requests answered 500: "
        + "; ".join(f"{m} {p} ({k})" for k, m, p, _s, _b in server_errors[:20])
        + "\n--- tracebacks in the gunicorn stderr ---\n"
        + "\n".join(server.tracebacks()[:3]))
    assert not load.failures, load.failures[:10]
    assert not server.tracebacks(), "\n".join(server.tracebacks()[:3])
    assert total >= 100, load.counts   # the load really ran
    for kind in KINDS:
        assert any(k == kind for k, _ in load.counts), f"no {kind} request was made"

    failed = [(args, rc, err[-3000:]) for args, rc, _out, err in runs if rc != 0]
    assert not failed, failed

    with app.app_context():
        # The 302s were real writes: new target versions, shares, stage events.
        assert TaskForceTarget.select().count() > len(TEAMS) * len(M.KEYS)
        assert CheckpointShare.select().count() > 0
        assert StageEvent.select().count() > len(projects) + 3 * len(TEAMS)
        rows = list(JobRun.select().where(JobRun.job.in_(JOBS)))
        assert sorted(r.job for r in rows) == sorted(JOBS), [(r.job, r.period_key) for r in rows]
        assert all(r.outcome == JobRun.OK for r in rows), \
            [(r.job, r.period_key, r.outcome, r.detail) for r in rows]
