"""Reports computed once per change (issue 23): what the report cache costs and saves.

    .venv/bin/python bench/bench_report_cache.py [--projects N] [--writers 8] [--writes 30]

1. report (SQLite; the demo data, or bench_progress's generated ledger of --projects N):
   progress.report.fresh_report against a cached build_report (a hit: the data version's
   SELECT and a dict look-up) and the SELECT alone; the report's size pickled and a pickle
   round trip, which a cache shared between processes (a table, a file, Redis) would pay on
   every hit on top of its own read.
2. writers: --writers threads, each recording --writes receipts on a project of its own task
   force at once, with the data version's UPDATE at the end of every transaction and without
   it (writes/s): SQLite, and PostgreSQL / MariaDB when TRACKER_BENCH_POSTGRES_URL /
   TRACKER_BENCH_MYSQL_URL name a server (a throw-away database is created next to it).
"""
import argparse
import contextlib
import datetime
import os
import pickle
import sys
import tempfile
import threading
import time
import uuid

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.dirname(BENCH))

import bench_progress as bp  # noqa: E402

from tracker.db import database, release_pool  # noqa: E402


def _ms(fn, runs):
    fn()
    start = time.perf_counter()
    for _ in range(runs):
        fn()
    return (time.perf_counter() - start) / runs * 1000


def measure_report(args, tmp):
    from tracker import clock, settings
    from tracker.services import dataversion
    from tracker.services.progress import report
    app = bp.make_app("sqlite:///" + os.path.join(tmp, "report.db"), tmp)
    with app.app_context():
        if args.projects:
            bp.build_ledger(args)
            year, as_of = bp.YEAR, bp.AS_OF
        else:
            from tracker.demo import seed
            seed.run(if_empty=False, echo=lambda *a, **k: None)
            as_of = clock.today()
            year = as_of.year
        _bump_once()
        options = settings.progress(app)
        fresh = _ms(lambda: report.fresh_report(year, as_of, options), 5)
        cached = _ms(lambda: report.build_report(year, as_of, options), 200)
        select = _ms(dataversion.current, 500)
        data = pickle.dumps(report.build_report(year, as_of, options))
        trip = _ms(lambda: pickle.loads(pickle.dumps(report.build_report(year, as_of, options))),
                   50)
        database.close()
    size = f"{args.projects:,} projects" if args.projects else "demo data"
    print(f"report ({size}, SQLite):")
    for label, value in (("fresh_report", fresh), ("build_report, cached (hit)", cached),
                         ("data version SELECT alone", select),
                         ("pickle round trip (a shared cache's hit)", trip)):
        print(f"  {label:<44}{value:>9.3f} ms")
    print(f"  {'report pickled':<44}{len(data) / 1024:>9.0f} kB")


def _bump_once():
    from tracker.services import dataversion, tx
    with tx.write():
        dataversion.changed()


@contextlib.contextmanager
def mysql_database(url):
    """A new MariaDB/MySQL database next to ``url``'s (dropped on exit); yields its URL."""
    import pymysql
    from playhouse.db_url import parse as parse_url
    params = parse_url(url)
    params.pop("database")
    name = f"tracker_bench_{uuid.uuid4().hex[:10]}"
    conn = pymysql.connect(**{k: v for k, v in params.items() if k in (
        "host", "port", "user", "password", "passwd")})
    try:
        conn.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        if not database.is_closed():
            database.close()
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def _writer_world(teams):
    from tests.factories import make_task_force, make_user
    from tracker.services.ledger import projects
    user = make_user("bench_writer", role="bureau")
    ids = []
    for i in range(teams):
        team = make_task_force(f"W{i:02d}")
        ids.append(projects.create_project(user, task_force=team, name=f"并发项目{i}",
                                           planned_investment="1000").id)
    return user, ids


def _run_writers(app, user, ids, writes):
    from tracker.services.ledger import projects
    errors = []

    def work(pid):
        try:
            with app.app_context():
                for _ in range(writes):
                    projects.record_funds(user, pid, received_on=datetime.date.today(),
                                          amount="1")
                database.close()
        except Exception as exc:   # reported, not hidden
            errors.append(repr(exc))
    threads = [threading.Thread(target=work, args=(pid,)) for pid in ids]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(ids) * writes / (time.perf_counter() - start), errors


def measure_writers(args, tmp):
    from tracker.services import dataversion
    real = dataversion.changed
    targets = [("sqlite", contextlib.nullcontext("sqlite:///" + os.path.join(tmp, "w.db")))]
    if os.environ.get("TRACKER_BENCH_POSTGRES_URL"):
        targets.append(("postgresql",
                        bp.postgres_database(os.environ["TRACKER_BENCH_POSTGRES_URL"])))
    if os.environ.get("TRACKER_BENCH_MYSQL_URL"):
        targets.append(("mysql", mysql_database(os.environ["TRACKER_BENCH_MYSQL_URL"])))
    print(f"writers: {args.writers} threads x {args.writes} receipts, each its own task force")
    for label, context in targets:
        with context as url:
            app = bp.make_app(url, tmp)
            with app.app_context():
                user, ids = _writer_world(args.writers)
                database.close()
            rates = {}
            for mode in ("without", "with", "without", "with"):   # interleaved: fair to load
                dataversion.changed = real if mode == "with" else (lambda reset=False: None)
                rate, errors = _run_writers(app, user, ids, args.writes)
                rates.setdefault(mode, []).append(rate)
                if errors:
                    print(f"  {label} {mode}: {len(errors)} errors, first {errors[0]}")
            dataversion.changed = real
            release_pool(database.obj)     # the threads' pooled connections
            best = {mode: max(values) for mode, values in rates.items()}
            print(f"  {label:<12} without the version {best['without']:8.0f} writes/s, "
                  f"with it {best['with']:8.0f} writes/s ({best['with'] / best['without']:.0%})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bp.parse_sizes(parser)
    parser.set_defaults(projects=0)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=30)
    parser.add_argument("--part", choices=("all", "report", "writers"), default="all")
    args = parser.parse_args()
    print(f"load average at start: {bp.loadavg()} (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory(prefix="bench_report_cache_") as tmp:
        if args.part in ("all", "report"):
            measure_report(args, tmp)
        if args.part in ("all", "writers"):
            measure_writers(args, tmp)
    print(f"load average at end: {bp.loadavg()}")


if __name__ == "__main__":
    main()
