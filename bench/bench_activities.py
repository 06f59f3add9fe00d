"""Benchmark: the follow-up log at city scale (issue 21) in a database of your choice.

    .venv/bin/python bench/bench_activities.py URL [--projects N] [--activities N] [--runs N]

The ledger of bench_scale (default 100,000 projects) and ``--activities`` (default 1,000,000)
follow-ups over two years, a third of them on a project, are written once into URL; the
招商活跃指数's weekly counts are rebuilt from them. Then, through the Flask test client as a
bureau user, in the same process:

- the dashboard (with its 招商活跃指数 section) and ``/activities/`` (default page, and one
  filtered by task force), median of --runs after a warm-up, each against a bare Flask +
  Jinja page of the same size (bench_pages), as bench_scale prints them;
- logging an activity on a project (``POST /activities/new``) against a stage change of a
  project (``POST /projects/<id>/stage``), --runs writes each, the median ratio printed.
"""
import argparse
import datetime
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_pages  # noqa: E402
import bench_progress as bp  # noqa: E402
import bench_scale  # noqa: E402

from tracker.db import database  # noqa: E402

KINDS = ("visit", "reception", "call", "inspection", "promotion", "signing", "other")
REGIONS = ("京津冀", "长三角", "珠三角", "东北", "中西部", "日韩", "欧洲", "港澳台", "其他境外", "本地")


def load_activities(count):
    """``count`` activities over the two years before bench_progress.AS_OF, then their links and
    the index's weekly counts (rebuilt from the log, as the nightly job does)."""
    from tracker.models import Activity, ActivityProject, Project, TaskForce
    from tracker.services import tx
    from tracker.services.activities import index
    if Activity.select().exists():
        return
    rnd = random.Random(21)
    teams = [t for (t,) in TaskForce.select(TaskForce.id).tuples()]
    projects = list(Project.select(Project.id, Project.task_force).tuples())
    start = time.perf_counter()
    rows = []
    for n in range(count):
        day = bp.AS_OF - datetime.timedelta(days=rnd.randrange(730))
        rows.append((rnd.choice(teams), rnd.choice(KINDS), day.isoformat(), f"对接企业{n % 5000}",
                     "央企" if n % 7 == 0 else "", rnd.choice(REGIONS), n % 11 == 0, "副市长" if n % 11 == 0 else "",
                     "赴外拜访，商谈投资。", "advance"))
    with tx.write():
        bp.bulk_insert(Activity, ["task_force", "kind", "occurred_on", "counterpart", "counterpart_tags",
                                  "region", "leader_led", "leader_title", "summary", "outcome"], rows)
    first = Activity.select(Activity.id).order_by(Activity.id).scalar()
    links = [(first + n, projects[rnd.randrange(len(projects))][0]) for n in range(0, count, 3)]
    with tx.write():
        bp.bulk_insert(ActivityProject, ["activity", "project"], links)
        index.rebuild()
    print(f"{count:,} activities, {len(links):,} links and the weekly counts in "
          f"{time.perf_counter() - start:.1f} s")


def _median_post(client, make, runs):
    times = []
    for n in range(runs):
        path, data = make(n)
        t = time.perf_counter()
        response = client.post(path, data=data)
        times.append(time.perf_counter() - t)
        if response.status_code != 302:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return statistics.median(times)


def measure_writes(app, runs):
    from tracker import clock
    from tracker.models import Project
    with app.app_context():
        rows = list(Project.select(Project.id, Project.task_force, Project.stage)
                    .where(Project.stage == "reserve").limit(runs).tuples())
    client = app.test_client()
    client.post("/login", data={"username": bench_scale.USER, "password": bench_pages.PASSWORD})
    today = clock.today().isoformat()

    def activity(n):
        pid, team, _stage = rows[n]
        return f"/activities/new?project={pid}", {"task_force": team, "kind": "call", "occurred_on": today,
                                                  "projects": [pid], "summary": "电话跟进", "outcome": "advance"}

    def stage(n):
        pid, _team, current = rows[n]
        return f"/projects/{pid}/stage", {"stage-expected_stage": current, "stage-stage": "packaged",
                                          "stage-on": today, "stage-note": ""}

    logged, moved = _median_post(client, activity, runs), _median_post(client, stage, runs)
    print(f"POST /activities/new {logged * 1000:.1f} ms, POST /projects/<id>/stage {moved * 1000:.1f} ms:"
          f" {logged / moved:.2f}x (goal <= 1.5x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    bp.parse_sizes(parser)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    print(f"load average at start: {bp.loadavg()}  (cores: {os.cpu_count()})")
    folder = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench_activities")
    os.makedirs(folder, exist_ok=True)
    app = bp.make_app(args.url, folder)
    with app.app_context():
        if bench_scale._empty():
            bench_scale.build(args)
        load_activities(args.activities)
        bench_scale.ensure_user()
        from tracker.models import TaskForce
        team = TaskForce.select(TaskForce.id).order_by(TaskForce.id).scalar()
        database.close()
    bench_scale.measure(app, ["/dashboard/", "/activities/", f"/activities/?task_force={team}"], args.runs)
    measure_writes(app, args.runs)
    print(f"load average at end: {bp.loadavg()}")


if __name__ == "__main__":
    main()
