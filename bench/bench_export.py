"""Benchmark: the ledger's .xlsx export (services.ledger.export, the rows streamed into a
write-only workbook by services.xlsx) against a bare openpyxl write-only workbook of the
same cells, in the same process.

    .venv/bin/python bench/bench_export.py [--projects 100000] [--small 10000] [--runs 3]

A ledger of --projects projects (every exported column filled as a clerk would: CJK names,
investors, tags, owners, stage dates, 备注 text; fund receipts on the signed ones) is
written with bulk inserts (bench_progress.bulk_insert) into a temporary SQLite database
(and PostgreSQL when TRACKER_BENCH_POSTGRES_URL is set, see bench_progress.backends).

Measured, each the median of its runs, in wall-clock and in CPU seconds of the process (the
ratios in CPU time are the steadier on a busy machine; both are printed), the functions of a
comparison called in turns:
  export      export.export_ledger({}) of the whole ledger: the query, the rows, the
              widths, the write-only sheet, the zipped bytes (what /projects/export.xlsx
              and ``flask export ledger`` run);
  bare        the same rows (read once beforehand, made safe, held in a list) appended
              to ``Workbook(write_only=True)`` and saved: "values" plain, "formats" with
              the export's number formats on the same cells;
  10k / 20k   export.export_xlsx of the first --small and 2 x --small projects (by id).
Goals (issue 18, "Exports in linear time"): export / bare workbook of the same cells
(values and number formats) <= 1.5x for the whole ledger; export of 20,000 rows / export of
10,000 rows <= 2.2x. Styled cells cost openpyxl itself (bare "formats" / "values"), so the
ratio to the values alone is printed too. The former writer (a normal sheet, ``append_row``
reading ``max_row`` per row) was quadratic: 2,000 projects 10 s, 4,000 projects 43 s.

Also printed: the memory each export added to the process at its peak (Linux): about the
same for 10,000 rows, 20,000 rows and the whole ledger, the rows being streamed (the file's
bytes are held, and the baseline's rows are in memory during the whole-ledger export). The
script exits 1 when an export does not hold the ledger's row count.

The rows' cursor (``--cursor``; issue 18, part 2): what an export job does with the whole
ledger (export.write_ledger, the workbook saved to a file), its rows read through the
server-side cursor (export.streamed) and, for comparison, through the driver's ordinary
cursor, which on PostgreSQL (psycopg2) and MySQL (pymysql) fetches the whole result into
the process at execute. Each run in a fresh process (``--child``): wall and CPU time, its
peak RSS and how far above its start RSS; each backend (MySQL / MariaDB when
TRACKER_BENCH_MYSQL_URL is set). ``--cursor`` skips the other measurements.
"""
import argparse
import contextlib
import datetime
import gc
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bench_progress as bp  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402

from tracker.db import database, release_pool  # noqa: E402

NOW = datetime.datetime(2026, 11, 28, 1, 30, tzinfo=datetime.timezone.utc)
FIRST_DAY = datetime.date(2024, 1, 1)
SPAN = 1000                                   # days of history
STAGES = ("reserve", "packaged", "negotiating", "signed", "started", "producing",
          "at_capacity", "dropped")
WEIGHTS = (14, 20, 20, 14, 12, 10, 3, 7)
INDUSTRIES = ("精细化工", "装备制造", "新材料", "现代服务业", "数字经济", "生物医药")
NEXT_STEPS = ("", "继续对接，争取年内签约", "跟进项目备案和环评手续",
              "协调用地指标，推动尽快开工建设", "督促投资方资金到位")
PROBLEMS = ("", "", "用地指标紧张", "环评审批周期较长，投资方有顾虑")


# --- the ledger --------------------------------------------------------------------------

def build(projects, seed=2026):
    """Write ``projects`` projects with every exported column; returns a dict of counts.
    Call in an app context."""
    from tracker.domain import pipeline
    from tracker.models import County, FundReceipt, Project, TaskForce, User
    rnd = random.Random(seed)
    rand = rnd.random
    days = [FIRST_DAY + datetime.timedelta(days=i) for i in range(SPAN + 200)]
    iso = [d.isoformat() for d in days]
    fields = list(pipeline.FIRST_REACHED_FIELD.values())    # packaged_on .. at_capacity_on
    order = pipeline.ORDER
    with database.atomic():
        counties = [County.create(code=c, name=n, kind=k).id for c, n, k in bp.COUNTIES]
        teams = [TaskForce.create(code=f"TF{i:02d}", name=f"第{i:02d}招商专班",
                                  industry="装备制造").id for i in range(1, 51)]
        owners = [User.create(username=f"owner{i:02d}", display_name=f"专员{i:02d}（招商）",
                              role="member", password_hash="pbkdf2:sha256:1$bench$0").id
                  for i in range(1, 41)]
        rows, receipts = [], []
        for pid in range(1, projects + 1):
            stage = rnd.choices(STAGES, WEIGHTS)[0]
            reached = order.index("producing") if stage == "dropped" else order.index(stage)
            start = int(rand() * (SPAN - 300))
            on = [None] * len(fields)
            day = start
            for i in range(min(reached, len(fields))):
                day += 10 + int(rand() * 60)
                on[i] = iso[day]
            planned = 500 + int(rand() * 300_000)
            contract = f"{planned * (20 + int(rand() * 81)) / 100:.2f}" \
                if "signed_on" in fields[:reached] else None
            expected = iso[SPAN + int(rand() * 150)] if stage in ("packaged", "negotiating") \
                and rand() < 0.5 else None
            tags = ",".join(t for t in Project.TAGS if rand() < 0.08)
            rows.append((
                pid, f"{INDUSTRIES[pid % 6]}项目{pid:06d}（一期）", teams[int(rand() * 50)],
                counties[int(rand() * 7)] if rand() < 0.9 else None,
                f"投资方{pid % 5000:04d}有限公司", Project.REGIONS[int(rand() * 9)],
                "foreign" if rand() < 0.15 else "domestic", INDUSTRIES[int(rand() * 6)], tags,
                str(planned), contract, "contract" if contract else None, expected, stage,
                "市场变化，投资方暂缓" if stage == "dropped" else "",
                owners[int(rand() * 40)] if rand() < 0.7 else None,
                f"联系人{pid % 300:03d} 138{pid:08d}", NEXT_STEPS[int(rand() * 5)],
                PROBLEMS[int(rand() * 4)], iso[day], *on, f"{iso[start]} 02:00:00",
                f"{iso[day]} 02:00:00", str(pid)))
            if contract:
                for _ in range(int(rand() * 3)):
                    receipts.append((pid, iso[day], str(10 + int(rand() * 20_000)),
                                     bp.LAYERS[int(rand() * 3)], f"{iso[day]} 02:00:00"))
        project_columns = (
            "id", "name", "task_force", "county", "investor", "investor_region",
            "capital_type", "industry", "tags", "planned_investment", "contract_value",
            "signing_grade", "expected_sign_date", "stage", "drop_reason", "owner",
            "contact", "next_step", "problems", "last_progress_on", *fields,
            "created_at", "updated_at", "dedupe_key")
        receipt_columns = ("project", "received_on", "amount", "source_layer", "created_at")
        if bp.backend_name() == "mysql":      # bench_progress loads SQLite and PostgreSQL
            _insert_chunks(Project, project_columns, rows)
            _insert_chunks(FundReceipt, receipt_columns, receipts)
        else:
            with bp.bulk_loading((Project, FundReceipt)) as freeze:
                bp.bulk_insert(Project, project_columns, rows, freeze=freeze)
                bp.bulk_insert(FundReceipt, receipt_columns, receipts, freeze=freeze)
    if bp.backend_name() == "postgresql":
        database.execute_sql("SELECT setval(pg_get_serial_sequence('project', 'id'), "
                             "(SELECT MAX(id) FROM project))")
        database.execute_sql("ANALYZE")
    return {"projects": len(rows), "fund receipts": len(receipts), "task forces": len(teams),
            "owners": len(owners)}


def _insert_chunks(model, columns, rows, size=2000):
    """``rows`` (tuples of ``columns``) inserted ``size`` at a time (MySQL)."""
    fields = [model._meta.fields[c] for c in columns]
    for start in range(0, len(rows), size):
        model.insert_many(rows[start:start + size], fields).execute()


@contextlib.contextmanager
def mysql_database(url):
    """A new MySQL/MariaDB database next to ``url``'s (dropped on exit); yields its URL."""
    from peewee import MySQLDatabase
    from playhouse.db_url import parse as parse_url
    params = parse_url(url)
    params.pop("database")
    name = f"tracker_bench_{uuid.uuid4().hex[:10]}"
    admin = MySQLDatabase(None, **params)
    admin.init("mysql", **params)
    with admin.connection_context():
        admin.execute_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        if not database.is_closed():
            database.close()
        with admin.connection_context():
            admin.execute_sql(f"DROP DATABASE IF EXISTS `{name}`")


def backends(tmp):
    """bench_progress's backends, and MySQL when TRACKER_BENCH_MYSQL_URL is set."""
    out = bp.backends(tmp)
    if os.environ.get("TRACKER_BENCH_MYSQL_URL"):
        out.append(("mysql", mysql_database(os.environ["TRACKER_BENCH_MYSQL_URL"])))
    return out


# --- the baseline ------------------------------------------------------------------------

def same_cells(query):
    """The cells the export writes for ``query``'s projects (made safe), as a list."""
    from tracker.services import xlsx
    from tracker.services.ledger import export
    return [[xlsx.safe_value(v) for v in row] for row in export._rows(query)]


def bare(rows, formats=None):
    """A write-only workbook of ``rows`` (the header's width), saved: bytes. ``formats``
    ({column: number format}): those cells get the format (one styled cell per column,
    filled again per row)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("项目台账")
    if formats:
        styled = {}
        for column, number_format in formats.items():
            styled[column] = WriteOnlyCell(sheet)
            styled[column].number_format = number_format
        for row in rows:
            row = list(row)
            for column, cell in styled.items():
                cell.value = row[column - 1]
                row[column - 1] = cell
            sheet.append(row)
    else:
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- measuring ---------------------------------------------------------------------------

class Timer:
    """Wall-clock and CPU seconds (this process: user + system) of each call of some
    functions, called in turns (``round``) so each sees the same load, and the most memory
    a call added to the process (its peak RSS above the RSS before it; Linux)."""

    def __init__(self):
        self.wall, self.cpu, self.memory, self.result = {}, {}, {}, {}

    def round(self, **fns):
        for name, fn in fns.items():
            self.result.pop(name, None)
            gc.collect()
            before = _reset_peak()
            wall, cpu = time.perf_counter(), time.process_time()
            self.result[name] = fn()
            self.cpu.setdefault(name, []).append(time.process_time() - cpu)
            self.wall.setdefault(name, []).append(time.perf_counter() - wall)
            if before is not None:
                self.memory[name] = max(self.memory.get(name, 0), _status("VmHWM") - before)

    def __call__(self, name, clock="cpu"):
        return statistics.median((self.cpu if clock == "cpu" else self.wall)[name])


def _status(field):
    """``field`` of /proc/self/status in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak():
    """Reset the process's peak RSS to its RSS (Linux); that RSS in MB, or None."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return _status("VmRSS")
    except (OSError, KeyError):
        return None


def _line(label, timer, name, base=None):
    wall, cpu = timer(name, "wall"), timer(name)
    ratio = f"{cpu / timer(base):>8.2f}x{wall / timer(base, 'wall'):>8.2f}x" if base else ""
    print(f"  {label:<50}{wall:>8.2f}s{cpu:>8.2f}s{ratio}")


def measure(args):
    from tracker.models import Project
    from tracker.services.ledger import export, listing
    database.connect(reuse_if_open=True)
    ok = True
    a, b = args.small, 2 * args.small
    timer = Timer()
    queries = {n: listing.filtered({}).where(Project.id <= n) for n in (a, b)}
    for _ in range(args.runs):
        timer.round(**{f"export {n}": lambda q=queries[n]: export.export_xlsx(q, "招商项目台账")
                       for n in (a, b)})
    exported = None
    rows = same_cells(listing.filtered({}))
    cells = sum(map(len, rows))
    gc.freeze()            # the baseline's rows: never traversed by the collector
    for _ in range(args.big_runs):
        timer.round(export=lambda: export.export_ledger({}, now=NOW), values=lambda: bare(rows),
                    formats=lambda: bare(rows, export.FORMATS))
        exported = timer.result["export"]
        if exported.rows != args.projects:
            print(f"  the export holds {exported.rows:,} rows, the ledger {args.projects:,}")
            ok = False
    for _ in range(args.runs):
        timer.round(**{f"bare {n}": lambda n=n: bare(rows[:n]) for n in (a, b)})
    size = len(timer.result["values"])
    rows.clear()                    # the baseline's list, freed
    gc.unfreeze()

    print(f"  {args.projects:,} projects: {cells:,} cells; medians, ratios of CPU and of wall time")
    print(f"  {'what':<50}{'wall':>9}{'CPU':>9}{'ratio':>9}{'(wall)':>9}")
    _line("bare write-only: the values", timer, "values")
    _line("bare write-only: the values + number formats", timer, "formats", "values")
    _line("export_ledger / bare values", timer, "export", "values")
    _line("export_ledger / bare values + number formats", timer, "export", "formats")
    _line(f"export {a:,} rows", timer, f"export {a}")
    _line(f"export {b:,} rows / {a:,} rows", timer, f"export {b}", f"export {a}")
    _line(f"bare {b:,} rows / {a:,} rows (openpyxl itself)", timer, f"bare {b}", f"bare {a}")
    memory = ", ".join(f"{name} {timer.memory[name]:.0f} MB" for name in
                       (f"export {a}", f"export {b}", "export") if name in timer.memory)
    print(f"  file: {len(exported.data) / 2**20:.1f} MB (bare {size / 2**20:.1f} MB); "
          f"memory added at the peak of each export: {memory or 'not measured'}")
    same = timer("export") / timer("formats")
    plain = timer("export") / timer("values")
    linear = timer(f"export {b}") / timer(f"export {a}")
    print(f"  goals (CPU): export / bare same cells <= 1.5x: {same:.2f}x "
          f"{'met' if same <= 1.5 else 'MISSED'} (values only: {plain:.2f}x); "
          f"{b:,} / {a:,} rows <= 2.2x: {linear:.2f}x {'met' if linear <= 2.2 else 'MISSED'}")
    return ok


def _job_write(mode, path):
    """What an export job writes (export.write_ledger, the workbook saved to ``path``), its
    rows read through the server-side cursor ("streamed") or the driver's own ("buffered")."""
    from tracker.services.ledger import export
    saved = export.streamed
    if mode == "buffered":
        export.streamed = lambda query, chunk=None: query.iterator()
    try:
        book, count = export.write_ledger({}, now=NOW)
        book.save(path)
        return count
    finally:
        export.streamed = saved


def child(args):
    """One export job's write in this fresh process; prints rows, wall, CPU, start and peak
    RSS (MB) as one line."""
    import json
    with tempfile.TemporaryDirectory(prefix="bench_export_child_") as tmp:
        app = bp.make_app(args.url, tmp)
        with app.app_context():
            database.connect(reuse_if_open=True)
            start = _status("VmRSS")
            wall, cpu = time.perf_counter(), time.process_time()
            rows = _job_write(args.child, os.path.join(tmp, "job.xlsx"))
            print(json.dumps({"rows": rows, "wall": time.perf_counter() - wall,
                              "cpu": time.process_time() - cpu, "start": start,
                              "peak": _status("VmHWM")}))
            database.close()


def measure_cursor(args, url):
    """The export job's write of the whole ledger, each run in a fresh process (its peak
    RSS is the job's own): rows through the server-side cursor and the buffered one."""
    import json
    import subprocess
    found = {"streamed": [], "buffered": []}
    for _ in range(args.runs):
        for mode in found:
            done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", mode,
                                   "--url", url], capture_output=True, text=True, check=True)
            found[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"  an export job's write of {args.projects:,} projects, each in a fresh process; "
          f"medians of {args.runs}")
    print(f"  {'rows read through':<44}{'wall':>9}{'CPU':>9}{'peak RSS':>10}{'+ above start':>15}")
    for mode, label in (("streamed", "server-side cursor (export.streamed)"),
                        ("buffered", "the driver's ordinary cursor (buffered)")):
        runs = found[mode]

        def median(key, runs=runs):
            return statistics.median(r[key] for r in runs)
        print(f"  {label:<44}{median('wall'):>8.1f}s{median('cpu'):>8.1f}s"
              f"{median('peak'):>7.0f} MB{median('peak') - median('start'):>12.0f} MB")
    return all(r["rows"] == args.projects for runs in found.values() for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000,
                        help="the linearity check exports this many and twice as many rows")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the small exports")
    parser.add_argument("--big-runs", type=int, default=1,
                        help="timed runs of the whole ledger and the baselines")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cursor", action="store_true",
                        help="only the rows' cursor: streamed against buffered, per backend")
    parser.add_argument("--child", choices=("streamed", "buffered"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.projects < 2 * args.small:
        parser.error("--projects must be at least twice --small")
    ok = True
    print(f"load average at start: {bp.loadavg()}  (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory(prefix="bench_export_") as tmp:
        for label, target in backends(tmp):
            with target as url:
                app = bp.make_app(url, tmp)
                with app.app_context():
                    t = time.perf_counter()
                    counts = build(args.projects, args.seed)
                    print(f"[{label}] ledger built in {time.perf_counter() - t:.1f} s: "
                          + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
                    if args.cursor:
                        database.close()
                        ok = measure_cursor(args, url) and ok
                    else:
                        ok = measure(args) and ok
                database.close()
                release_pool(database.obj)     # the pool's connections: the database is dropped
    print(f"load average at end: {bp.loadavg()}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
