"""Benchmark: the report pages and the ledger on a big ledger kept in a database of your
choice, so a 1,000,000-project ledger is built once and measured many times.

    .venv/bin/python bench/bench_scale.py URL [--projects N --receipts N --increases N]
                                          [--runs N] [--rebuild] [PATH ...]

URL is a database URL (``sqlite:////tmp/scale.db``, ``postgresql://postgres@127.0.0.1:5432/
scale``: the database must exist; it is migrated). When it holds no project (or with
--rebuild, which first empties it) the ledger of bench_progress.build_ledger is written into
it with the given sizes (defaults: 100,000 projects) and the stale flags of 2026-09-30; on
PostgreSQL the written tables are then VACUUM ANALYZEd, as autovacuum would. The pages are
requested as a bureau user (created when missing). The province-size ledger of the README:
``--projects 1000000 --receipts 6000000 --increases 1000000``.

Each PATH (default: the dashboard today, as of 2026-09-30 and 2026-09-17, a task force's
folded detail, the task-force page, /api/v1/progress and five ledger pages) is requested
through the Flask test client, logged in, once to warm up and then --runs times; printed: the
median and fastest time, the page size, and the ratio of the median to a bare Flask + Jinja
page of the same size served by the same test client in the same process (bench_pages).
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_pages  # noqa: E402
import bench_progress as bp  # noqa: E402

from tracker.db import backend_name, database  # noqa: E402

PATHS = ("/dashboard/", "/dashboard/?as_of=2026-09-30", "/dashboard/?as_of=2026-09-17",
         "/dashboard/teams/TF07?as_of=2026-09-30", "/taskforces/TF07", "/api/v1/progress",
         "/projects/", "/projects/?year=2026", "/projects/?year=2026&sort=planned&page=2000",
         "/projects/?stage=negotiating", "/projects/?page=4000")
USER = "bench_scale"


def _empty():
    from tracker.models import Project
    return not Project.select().exists()


def _clear():
    from tracker.models import all_models
    with database.atomic():
        for model in reversed(all_models()):
            model.delete().execute()


def build(args):
    """Write the ledger and its stale flags into the app's database."""
    from tracker.services.staleness import flags
    t = time.perf_counter()
    counts = bp.build_ledger(args)
    print(f"ledger built in {time.perf_counter() - t:.1f} s: "
          + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    t = time.perf_counter()
    scan = flags.scan(bp.AS_OF)
    print(f"stale flags of {bp.AS_OF}: {sum(scan.open.values()):,} open, "
          f"{time.perf_counter() - t:.1f} s")
    if backend_name() == "postgresql":
        bp.vacuum("stale_flag")


def ensure_user():
    """The bureau user the pages are requested as (created when missing)."""
    from tracker.models import User
    if User.get_or_none(User.username == USER) is None:
        user = User(username=USER, display_name="商务局", role="bureau")
        user.set_password(bench_pages.PASSWORD)
        user.save()


def timed(client, path, runs):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), len(response.data)


def measure(app, paths, runs):
    client = app.test_client()
    response = client.post("/login", data={"username": USER, "password": bench_pages.PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"login failed: HTTP {response.status_code}")
    bare = bench_pages.bare_app().test_client()
    print(f"{'page':<46}{'median':>9}{'fastest':>9}{'size':>8}{'bare':>9}{'/bare':>8}")
    for path in paths:
        median, fastest, size = timed(client, path, runs)
        bare_median, _f, _s = timed(bare, f"/?rows={bench_pages.bare_rows_for(bare, size)}",
                                    runs)
        print(f"{path:<46}{median * 1000:>7.1f}ms{fastest * 1000:>7.1f}ms{size / 1024:>6.0f}KB"
              f"{bare_median * 1000:>7.1f}ms{median / bare_median:>7.1f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("paths", nargs="*", metavar="PATH")
    bp.parse_sizes(parser)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page")
    parser.add_argument("--rebuild", action="store_true", help="empty the database first")
    args = parser.parse_args()
    print(f"load average at start: {bp.loadavg()}  (cores: {os.cpu_count()})")
    folder = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench_scale")
    os.makedirs(folder, exist_ok=True)
    app = bp.make_app(args.url, folder)
    with app.app_context():
        if args.rebuild:
            _clear()
        if _empty():
            build(args)
        ensure_user()
        database.close()
    print(f"[{backend_name(database.obj)}] median of {args.runs} requests after one warm-up:")
    measure(app, args.paths or PATHS, args.runs)
    print(f"load average at end: {bp.loadavg()}")


if __name__ == "__main__":
    main()
