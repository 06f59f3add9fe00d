"""The load test's database (bench/loadtest.py): a PostgreSQL database holding
bench_progress's 100,000-project ledger (built once, reused while it holds projects) and the
simulated people's accounts, created through the accounts service (the write path: one
transaction, one audit row each), also only when missing.

People (``roster``): 150 members spread over the task forces (3 per task force with the
default 50), 40 bureau users, 10 city leaders (role bureau: they read the whole city on
their phones). Every account has the same strong password (LOAD_PASSWORD); the roster is
written as JSON for the locustfile.
"""
import contextlib
import json
import os
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.dirname(BENCH))

import bench_progress as bp  # noqa: E402
import bench_scale  # noqa: E402

from tracker.db import database  # noqa: E402

LOAD_PASSWORD = "Harbor-Quill-7384-load"
MEMBERS, BUREAU, LEADERS = 150, 40, 10


def _admin_url(url):
    """The same server's maintenance database (``postgres``)."""
    return url.rsplit("/", 1)[0] + "/postgres"


def ensure_database(url):
    """Create the PostgreSQL database of ``url`` when it does not exist; True when made."""
    name = url.rsplit("/", 1)[1]
    admin = bp._admin(_admin_url(url))
    admin.connect()
    try:
        admin.connection().autocommit = True
        cursor = admin.execute_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone():
            return False
        admin.execute_sql(f'CREATE DATABASE "{name}"')
        return True
    finally:
        admin.close()


def drop_database(url):
    name = url.rsplit("/", 1)[1]
    bp._admin_sql(_admin_url(url), f'DROP DATABASE IF EXISTS "{name}"')


def roster(task_force_codes, members=MEMBERS, bureau=BUREAU, leaders=LEADERS):
    """[{username, role, display_name, task_force}] of the simulated people."""
    people = []
    for i in range(members):
        code = task_force_codes[i % len(task_force_codes)]
        people.append({"username": f"load_member_{i + 1:03d}", "role": "member",
                       "display_name": f"专班成员{i + 1:03d}", "task_force": code})
    for i in range(bureau):
        people.append({"username": f"load_bureau_{i + 1:02d}", "role": "bureau",
                       "display_name": f"商务局{i + 1:02d}", "task_force": None})
    for i in range(leaders):
        people.append({"username": f"load_leader_{i + 1:02d}", "role": "bureau",
                       "display_name": f"市领导{i + 1:02d}", "task_force": None})
    return people


def ensure_people(people):
    """Create the accounts that are missing (accounts service, the bench admin as actor);
    returns how many were created."""
    from tracker.models import User
    from tracker.services.accounts import users
    actor = User.get(User.username == "bench_admin")
    existing = {u for u, in User.select(User.username).tuples()}
    made = 0
    for person in people:
        if person["username"] in existing:
            continue
        users.create_user(actor, LOAD_PASSWORD, username=person["username"], role=person["role"],
                          display_name=person["display_name"],
                          task_force_codes=[person["task_force"]] if person["task_force"] else ())
        made += 1
    return made


def _sizes(projects):
    import argparse
    parser = argparse.ArgumentParser()
    bp.parse_sizes(parser)
    sizes = parser.parse_args([])
    sizes.projects = projects
    sizes.receipts = projects
    sizes.increases = projects // 10
    return sizes


def prepare(url, folder, projects=100_000, rebuild=False, echo=print):
    """Build (once) and fill the database of ``url``; write the roster to
    ``folder``/people.json and return its path."""
    if rebuild:
        drop_database(url)
    made = ensure_database(url)
    echo(f"database {url.rsplit('/', 1)[1]}: " + ("created" if made else "present"))
    app = bp.make_app(url, folder)
    with app.app_context():
        if bench_scale._empty():
            t = time.perf_counter()
            bench_scale.build(_sizes(projects))
            echo(f"ledger and stale flags built in {time.perf_counter() - t:.0f} s")
        else:
            from tracker.models import Project
            echo(f"ledger present: {Project.select().count():,} projects (reused)")
        from tracker.models import TaskForce
        codes = [c for c, in TaskForce.select(TaskForce.code).order_by(TaskForce.code).tuples()]
        people = roster(codes)
        t = time.perf_counter()
        made = ensure_people(people)
        if made:
            echo(f"{made} accounts created through the accounts service in "
                 f"{time.perf_counter() - t:.0f} s")
        with contextlib.suppress(Exception):
            database.close()
    path = os.path.join(folder, "people.json")
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"password": LOAD_PASSWORD, "people": people}, out, ensure_ascii=False)
    return path


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="Build the load test's database only.")
    parser.add_argument("url", nargs="?", default="postgresql://postgres@127.0.0.1:5432/tracker_loadtest")
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--folder", default=os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                         "tracker_loadtest"))
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    print(prepare(args.url, args.folder, args.projects, args.rebuild))
