"""Benchmark: the progress numbers on a big ledger (default 50 task forces, 7
counties, 100,000 projects over two years, ~300,000 stage events, 100,000 fund
receipts, 10,000 capital increases), against a hand-written raw SQL aggregate
computing the same per-task-force yearly actuals in the same process.

    .venv/bin/python bench/bench_progress.py [--projects N] [--receipts N] [--runs N]

Measured (median of --runs, after one warm-up run each):
  baseline    raw SQL via cursor.execute: one GROUP BY over the projects'
              first-reached columns with SUM(CASE ...), plus one aggregate each
              over capital increases and fund receipts (joined to the project);
  actuals     tracker.services.figures.metrics.monthly_actuals (12 monthly columns);
  report      tracker.services.progress.report.build_report (actuals + targets,
              forecast pipeline, counties, ranking, warnings);
and the parts of the report (pipeline_amounts, county_progress). The actuals
come from the maintained monthly figures (tracker/services/figures/monthly.py: a few
thousand rows); the same report is also timed on the whole-ledger aggregates
(tracker/services/figures/from_ledger.py, what every report cost before the figures:
"ledger path"), and once more judged inside a month (MID_AS_OF), where the days of
that month up to the date are one exact aggregate over that month's events.
Ratios are time / baseline: the report on the figures should cost a small
fraction of one plain aggregate over the ledger (~0.1x), the ledger path ~2x. The
numbers must agree: baseline, figures and ledger path (the script exits 1
otherwise).

The generator inserts rows in bulk, past the write path, so it rebuilds the figures
once after loading (``figures.rebuild()``, timed).

The ledger is written with bulk inserts into a temporary SQLite database and,
when TRACKER_BENCH_POSTGRES_URL is set (postgresql://user@host:port/db, a
database used only to create and drop a throw-away one), into PostgreSQL too
(COPY FREEZE; the loaded tables' indexes and keys are dropped first and rebuilt
from their definitions after, see bulk_loading; same rows for the same --seed).
bench_pages.py reuses build_ledger() from here.
"""
import argparse
import bisect
import contextlib
import datetime
import gc
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tracker import create_app, migrate  # noqa: E402
from tracker.db import backend_name, database  # noqa: E402

YEAR = 2026
AS_OF = datetime.date(2026, 9, 30)           # Q3 close: nine months of the year counted
MID_AS_OF = datetime.date(2026, 9, 17)       # inside a month: its days from the ledger
FIRST_DAY = AS_OF - datetime.timedelta(days=729)   # two years of history up to AS_OF
COUNTIES = (("XF", "新抚区", "county"), ("DZ", "东洲区", "county"), ("WH", "望花区", "county"),
            ("SC", "顺城区", "county"), ("FSX", "抚顺县", "county"), ("QY", "清原县", "county"),
            ("KFQ", "抚顺经济开发区", "zone"))
# final stage of a generated project -> weight
FINAL_STAGES = {"reserve": 14, "packaged": 20, "negotiating": 20, "signed": 14, "started": 12,
                "producing": 10, "at_capacity": 3, "dropped": 7}
LAYERS = ("省外", "市外省内", "境外")
WATCHED = ("reserve", "packaged", "negotiating", "signed", "started")   # chased when silent


def parse_sizes(parser):
    """Size options shared with bench_pages.py."""
    parser.add_argument("--task-forces", type=int, default=50)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--receipts", type=int, default=100_000, help="fund receipts")
    parser.add_argument("--increases", type=int, default=10_000, help="capital increases")
    parser.add_argument("--seed", type=int, default=2026)


# --- throw-away databases -------------------------------------------------------------

def _admin(url):
    from peewee import PostgresqlDatabase
    from playhouse.db_url import parse as parse_url
    params = parse_url(url)
    name = params.pop("database")
    return PostgresqlDatabase(name, **params)


def _admin_sql(url, sql):
    admin = _admin(url)
    admin.connect()
    try:
        admin.connection().autocommit = True
        admin.execute_sql(sql)
    finally:
        admin.close()


@contextlib.contextmanager
def postgres_database(url):
    """A new PostgreSQL database next to ``url``'s (dropped on exit); yields its URL."""
    name = f"tracker_bench_{uuid.uuid4().hex[:10]}"
    _admin_sql(url, f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        if not database.is_closed():
            database.close()
        _admin_sql(url, f'DROP DATABASE IF EXISTS "{name}"')


def backends(tmp):
    """(label, context manager yielding a database URL) for each backend to measure."""
    out = [("sqlite", contextlib.nullcontext("sqlite:///" + os.path.join(tmp, "bench.db")))]
    pg = os.environ.get("TRACKER_BENCH_POSTGRES_URL")
    if pg:
        out.append(("postgresql", postgres_database(pg)))
    return out


def make_app(url, tmp, **config):
    # No request log: the baselines (bare Flask, raw SQL) write none either.
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": None,
                      "WTF_CSRF_ENABLED": False, "REQUEST_LOG": False, **config},
                     instance_path=os.path.join(tmp, "instance"))
    with app.app_context():
        migrate.upgrade()
    return app


# --- bulk ledger -----------------------------------------------------------------------

COPY_CHUNK = 100_000           # rows turned into COPY text at a time
_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """One value in COPY's text format."""
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_ESCAPES)


def _copy_column(values):
    """COPY text of one column's values: whole columns of plain strs (and None) or of
    ints are converted at C speed, anything else value by value."""
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        joined = "".join(filter(None, values))
        if not any(c in joined for c in "\\\t\n\r"):
            return [_NULL if v is None else v for v in values] if None in values else values
    elif kinds == {int}:
        return list(map(str, values))
    elif kinds == {int, type(None)}:
        return [_NULL if v is None else str(v) for v in values]
    return [_copy_text(v) for v in values]


class _CopyStream:
    """File-like source for COPY: ``read()`` returns the text of the next COPY_CHUNK rows,
    so the table's text is never held whole."""

    def __init__(self, rows, tail):
        self.rows, self.end, self.start = rows, tail + "\n", 0

    def read(self, size=-1):
        chunk = self.rows[self.start:self.start + COPY_CHUNK]
        self.start += COPY_CHUNK
        if not chunk:
            return ""
        columns = [_copy_column(c) for c in zip(*chunk)]
        return self.end.join(map("\t".join, zip(*columns))) + self.end


def bulk_insert(model, columns, rows, *, freeze=False):
    """Insert tuples of ``columns`` (field names) into ``model``'s table; every other
    column gets its model default (computed once). ``rows`` is a list. Values must be
    ready for the driver (ints, strs, ISO dates, None); no peewee conversion per value.
    SQLite: executemany; PostgreSQL: COPY (``freeze``: COPY FREEZE, for a table
    truncated in this transaction, see bulk_loading)."""
    from peewee import AutoField
    meta = model._meta
    given = [meta.fields[c] for c in columns]
    rest = [f for f in meta.sorted_fields
            if f.name not in columns and not isinstance(f, AutoField)]
    fill = tuple(f.db_value(f.default() if callable(f.default) else f.default) for f in rest)
    names = ", ".join(f'"{f.column_name}"' for f in given + rest)
    cursor = database.cursor()
    if backend_name() == "postgresql":
        tail = "".join("\t" + _copy_text(v) for v in fill)
        cursor.copy_expert(f'COPY "{meta.table_name}" ({names}) FROM STDIN'
                           + (" WITH (FREEZE)" if freeze else ""), _CopyStream(rows, tail))
    else:
        marks = ", ".join([database.param] * (len(given) + len(rest)))
        cursor.executemany(f'INSERT INTO "{meta.table_name}" ({names}) VALUES ({marks})',
                           [tuple(r) + fill for r in rows])
    return len(rows)


def _quoted(name):
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def bulk_loading(models):
    """Load ``models``' tables (empty, in a new database) the fast way, inside the
    caller's transaction; yields whether COPY FREEZE may be used. The indexes and keys
    are dropped and, after the load, made again from the definitions read before (one
    sort each instead of an index update per row), so the schema ends as the migrations
    made it.

    PostgreSQL: the primary, unique and foreign keys (and the foreign keys referencing
    the tables) and the indexes; the tables are truncated so COPY FREEZE writes rows
    already frozen and visible (no hint-bit writes, no vacuum after the load). SQLite:
    the indexes (not the keys' own)."""
    tables = [m._meta.table_name for m in models]
    cursor = database.cursor()
    if backend_name() == "sqlite":
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                       " AND sql IS NOT NULL AND tbl_name IN (%s) ORDER BY tbl_name, name"
                       % ", ".join("?" * len(tables)), tables)
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {_quoted(name)}")
        yield False
        for _name, definition in indexes:
            cursor.execute(definition)
        return
    for setting in ("synchronous_commit = off", "jit = off",
                    "maintenance_work_mem = '512MB'",    # index builds sort in memory
                    "work_mem = '256MB'"):               # foreign key checks
        cursor.execute("SET LOCAL " + setting)
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE (conrelid = ANY(%s::regclass[]) AND contype IN ('p', 'u', 'f'))"
        " OR (confrelid = ANY(%s::regclass[]) AND contype = 'f')"
        " ORDER BY contype = 'f' DESC, oid", (tables, tables))   # foreign keys first
    keys = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes i"
        " WHERE schemaname = current_schema() AND tablename = ANY(%s) AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.tablename::regclass"
        "  AND c.conname = i.indexname AND c.contype IN ('p', 'u', 'x'))"
        " ORDER BY tablename, indexname", (tables,))
    indexes = cursor.fetchall()
    for table, name, _definition in keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quoted(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {_quoted(name)}")
    cursor.execute("TRUNCATE " + ", ".join(_quoted(t) for t in tables))
    yield True
    for _name, definition in indexes:
        cursor.execute(definition)
    for table, name, definition in reversed(keys):   # primary keys before foreign keys
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quoted(name)} {definition}")


def _path(rnd, final, order):
    """Stage steps of a project that ends at ``final`` (sometimes skipping one);
    ``order``: pipeline.ORDER."""
    last = order.index("producing") if final == "dropped" else order.index(final)
    if final == "dropped":
        last = int(rnd.random() * (last + 1))
    start = 0 if rnd.random() < 0.6 or last == 0 else 1
    stages = [order[start]]
    rank = start
    while rank < last:
        rank += 2 if rank + 2 <= last and rnd.random() < 0.15 else 1
        stages.append(order[rank])
    if final == "dropped":
        stages.append("dropped")
    return stages


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection: the generator makes millions of rows and no cycles,
    and the collector's passes over them cost about a third of the build."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def build_ledger(sizes, *, today=AS_OF):
    """Write the benchmark ledger; returns a dict of row counts. Call in an app context.

    Days are handled as integer offsets from FIRST_DAY (first_reached_updates
    only compares them) and turned into ISO strings through lookup tables."""
    from tracker.domain import pipeline
    from tracker.models import (
        CapitalIncrease, County, FundReceipt, Project, StageEvent, TaskForce, User,
    )
    from tracker.services.targets import annual
    rnd = random.Random(sizes.seed)
    rand = rnd.random
    span = (today - FIRST_DAY).days + 1          # day offsets 0 .. span - 1 are <= today
    days = [FIRST_DAY + datetime.timedelta(days=i) for i in range(span + 160)]
    iso = [d.isoformat() for d in days]
    stamp = [f"{d} 02:00:00" for d in iso]        # 10:00 local (UTC+8), stored as naive UTC
    with _collector_paused(), database.atomic():
        admin = User.create(username="bench_admin", display_name="基准管理员", role="admin",
                            password_hash="pbkdf2:sha256:1$bench$0")
        counties = [County.create(code=c, name=n, kind=k).id for c, n, k in COUNTIES]
        teams = [TaskForce.create(code=f"TF{i:02d}", name=f"第{i:02d}招商专班",
                                  industry="装备制造", kind="6" if i <= 6 else "N").id
                 for i in range(1, sizes.task_forces + 1)]
        annual.apply_defaults(YEAR, admin)

        finals = tuple(FINAL_STAGES)
        # rnd.choices(finals, weights)[0] draws exactly this (one random(), bisected)
        cum = list(itertools.accumulate(FINAL_STAGES.values()))
        total, top = cum[-1] + 0.0, len(cum) - 1
        order, reached_updates = pipeline.ORDER, pipeline.first_reached_updates
        fields = pipeline.FIRST_REACHED_FIELD
        n_teams, n_counties = len(teams), len(counties)
        projects, events, signed = [], [], []
        latest = [0] * (sizes.projects + 1)      # last progress day per project id
        for pid in range(1, sizes.projects + 1):
            stages = _path(rnd, finals[bisect.bisect(cum, rand() * total, 0, top)], order)
            gaps = [10 + int(rand() * 140) for _ in stages[1:]] + [0]
            # most projects still being chased logged progress within 8 weeks; the rest
            # (and every landed or dropped project) have their last step anywhere
            if stages[-1] in WATCHED and rand() < 0.85:
                last = span - 1 - int(rand() * 56)
            else:
                last = int(rand() * span)
            day = created = max(0, last - sum(gaps))
            reached, prev = {}, None
            for stage, gap in zip(stages, gaps):
                events.append((pid, prev, stage, iso[day], stamp[day]))
                reached.update(reached_updates(reached, stage, day))
                prev, latest[pid] = stage, day
                day += gap
            redo = latest[pid] + 2 + int(rand() * 19)
            if prev not in ("dropped", "reserve") and rand() < 0.04 and redo < span:
                # undo and redo the last step: more history, first-reached dates unchanged
                back = pipeline.ORDER[pipeline.rank(prev) - 1]
                events.append((pid, prev, back, iso[redo - 1], stamp[redo - 1]))
                events.append((pid, back, prev, iso[redo], stamp[redo]))
                latest[pid] = redo
            planned = 500 + int(rand() * 300_000)
            contract = None
            if "signed" in reached:
                contract = f"{planned * (20 + int(rand() * 81)) / 100:.2f}"
                signed.append((pid, reached["signed"]))
            expected = None
            if prev in ("reserve", "packaged", "negotiating") and rand() < 0.5:
                expected = iso[span + int(rand() * 150)]
            on = [iso[reached[s]] if s in reached else None for s in fields]
            projects.append([
                pid, f"项目{pid:06d}", teams[int(rand() * n_teams)],
                counties[int(rand() * n_counties)] if rand() < 0.9 else None,
                f"投资方{pid % 5000:04d}", str(planned), contract,
                "contract" if contract else None, expected, prev,
                "市场变化，投资方暂缓" if prev == "dropped" else "",
                None, *on, stamp[created], None])

        def after_signing(n):
            n_signed = len(signed)
            for _ in range(n):
                pid, signed_on = signed[int(rand() * n_signed)]
                on = signed_on + int(rand() * (span - signed_on))
                if on > latest[pid]:
                    latest[pid] = on
                yield pid, on

        amounts = [str(i) for i in range(50_101)]    # str(n) looked up
        receipts = [(pid, iso[on], amounts[10 + int(rand() * 20_000)], LAYERS[int(rand() * 3)],
                     stamp[on]) for pid, on in after_signing(sizes.receipts)] if signed else []
        increases = [(pid, iso[on], amounts[100 + int(rand() * 50_000)], stamp[on])
                     for pid, on in after_signing(sizes.increases)] if signed else []
        for row in projects:     # last progress: stage events, receipts and increases
            row[11], row[-1] = iso[latest[row[0]]], stamp[latest[row[0]]]

        if backend_name() == "sqlite":
            database.execute_sql("PRAGMA cache_size = -262144")   # 256 MB while building
        with bulk_loading((Project, StageEvent, FundReceipt, CapitalIncrease)) as freeze:
            bulk_insert(Project, (
                "id", "name", "task_force", "county", "investor", "planned_investment",
                "contract_value", "signing_grade", "expected_sign_date", "stage", "drop_reason",
                "last_progress_on", *fields.values(), "created_at", "updated_at", "dedupe_key"),
                [row + [str(row[0])] for row in projects],   # unique duplicate key: the id
                freeze=freeze)
            bulk_insert(StageEvent, ("project", "from_stage", "stage", "occurred_on",
                                     "created_at"), events, freeze=freeze)
            bulk_insert(FundReceipt, ("project", "received_on", "amount", "source_layer",
                                      "created_at"), receipts, freeze=freeze)
            bulk_insert(CapitalIncrease, ("project", "occurred_on", "amount", "created_at"),
                        increases, freeze=freeze)
        counts = {"task forces": len(teams), "counties": len(counties),
                  "projects": len(projects), "stage events": len(events),
                  "fund receipts": len(receipts), "capital increases": len(increases)}
        del projects, events, receipts, increases     # freed before the collector is back
    if backend_name() == "sqlite":
        database.execute_sql("PRAGMA cache_size = -2000")   # back to SQLite's default
    else:
        # explicit ids: move the sequence past them; ANALYZE as autovacuum soon would
        # (SQLite is left unanalysed, as the app never runs ANALYZE there)
        database.execute_sql("SELECT setval(pg_get_serial_sequence('project', 'id'), "
                             "(SELECT MAX(id) FROM project))")
        database.execute_sql("ANALYZE")
    rebuild_figures()
    if backend_name() == "postgresql":
        vacuum("monthly_figure", "project_year")
    return counts


def vacuum(*tables):
    """VACUUM ANALYZE ``tables`` (PostgreSQL), as autovacuum soon would after the figures'
    bulk rebuild: until then the visibility map is unset and an index-only scan of the
    report's covering indexes reads the table as well (2,700 heap fetches for the month
    rows: 6 ms instead of 0.8). The COPY FREEZE tables are all-visible already."""
    database.close()
    database.connect()
    connection = database.connection()
    before = connection.autocommit    # peewee's own setting, given back (pooled connection)
    connection.rollback()
    connection.autocommit = True      # VACUUM cannot run inside a transaction
    try:
        for table in tables:
            database.execute_sql(f"VACUUM ANALYZE {_quoted(table)}")
    finally:
        connection.autocommit = before


def rebuild_figures():
    """The bulk insert bypassed the write path: build the maintained figures and the
    project years once."""
    from tracker.services.figures import monthly as figures
    t = time.perf_counter()
    with database.atomic():
        found = figures.rebuild()
    print(f"  figures rebuilt from the ledger in {time.perf_counter() - t:.1f} s "
          f"({found.drifted} rows written)")
    from tracker.services.figures import years
    t = time.perf_counter()
    with database.atomic():
        rows, _before = years.rebuild()
    print(f"  project years rebuilt from the ledger in {time.perf_counter() - t:.1f} s "
          f"({rows:,} rows)")


@contextlib.contextmanager
def ledger_path():
    """build_report on the whole-ledger aggregates, as before the maintained figures."""
    from unittest import mock

    from tracker.services.figures import metrics, from_ledger
    with mock.patch.object(metrics, "monthly_actuals", from_ledger.monthly_actuals), \
            mock.patch.object(metrics, "county_funds_windows",
                              from_ledger.county_funds_windows), \
            mock.patch.object(metrics, "pipeline_amounts", from_ledger.pipeline_amounts):
        yield


# --- baseline --------------------------------------------------------------------------

def raw_actuals(year, as_of):
    """{task_force_id: {metric: Decimal}} for 1 Jan .. as_of, straight SQL."""
    from tracker.domain import money
    start, end = datetime.date(year, 1, 1).isoformat(), min(
        as_of, datetime.date(year, 12, 31)).isoformat()
    p = database.param
    cursor = database.cursor()
    out = {}

    def add(tf, key, value):
        out.setdefault(tf, {}).setdefault(key, Decimal("0.00"))
        out[tf][key] += money.to_decimal(value)

    cursor.execute(
        "SELECT task_force_id,"
        f" SUM(CASE WHEN packaged_on BETWEEN {p} AND {p} THEN planned_investment ELSE 0 END),"
        f" SUM(CASE WHEN negotiating_on BETWEEN {p} AND {p} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN signed_on BETWEEN {p} AND {p} THEN contract_value ELSE 0 END)"
        " FROM project GROUP BY task_force_id", (start, end) * 3)
    for tf, packaged, negotiations, signed in cursor.fetchall():
        add(tf, "packaged_value", packaged)
        add(tf, "negotiations", negotiations)
        add(tf, "signed_value", signed)
    for table, column, key in (("capital_increase", "occurred_on", "signed_value"),
                               ("fund_receipt", "received_on", "funds_received")):
        cursor.execute(
            f"SELECT p.task_force_id, SUM(t.amount) FROM {table} t"
            f" JOIN project p ON p.id = t.project_id WHERE t.{column} BETWEEN {p} AND {p}"
            " GROUP BY p.task_force_id", (start, end))
        for tf, value in cursor.fetchall():
            add(tf, key, value)
    return out


# --- measuring -------------------------------------------------------------------------

def timed(fn, runs):
    """(median seconds, last result) of ``runs`` calls after one warm-up call."""
    result = fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def loadavg():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _cmp(name, got, want):
    """List of mismatch messages between two {tf: {metric: Decimal}} maps."""
    from tracker.domain import metrics as M
    bad = []
    for tf in sorted(set(got) | set(want)):
        for key in M.KEYS:
            a = got.get(tf, {}).get(key, Decimal("0.00"))
            b = want.get(tf, {}).get(key, Decimal("0.00"))
            if a != b:
                bad.append(f"{name}: task force {tf} {key}: {a} != baseline {b}")
    return bad


def _report_actuals(report):
    return {row.task_force_id: {k: m.actual for k, m in row.metrics.items()}
            for row in report.rows}


def _same_reports(name, got, want):
    bad = _cmp(name, _report_actuals(got), _report_actuals(want))
    counties = {c.county_id: (c.actual, c.last_year_same_period, c.last_year_total)
                for c in got.counties}
    if counties != {c.county_id: (c.actual, c.last_year_same_period, c.last_year_total)
                    for c in want.counties}:
        bad.append(f"{name}: county figures differ")
    return bad


def measure(runs):
    """Time baseline / actuals / report in the current app context; print a table."""
    from tracker.services.figures import metrics
    from tracker.services.progress import report as progress
    from tracker import settings
    database.connect(reuse_if_open=True)
    cfg = settings.progress()
    ids = [t.id for t in progress._teams()]

    def report(as_of):
        return lambda: progress.build_report(YEAR, as_of, cfg)

    base_s, base = timed(lambda: raw_actuals(YEAR, AS_OF), runs)
    act_s, monthly = timed(lambda: metrics.monthly_actuals(YEAR, AS_OF, ids), runs)
    rep_s, rep = timed(report(AS_OF), runs)
    mid_s, mid = timed(report(MID_AS_OF), runs)
    with ledger_path():
        old_s, old = timed(report(AS_OF), runs)
        old_mid_s, old_mid = timed(report(MID_AS_OF), runs)
    pipe_s, _ = timed(lambda: metrics.pipeline_amounts(
        YEAR, ids, as_of=AS_OF, contract_share=cfg.contract_share), runs)
    cty_s, _ = timed(lambda: progress.county_progress(YEAR, AS_OF, cfg), runs)

    actuals = {tf: {k: sum(v, Decimal("0.00")) for k, v in per.items()}
               for tf, per in monthly.items()}
    bad = (_cmp("monthly_actuals", actuals, base) + _cmp("build_report", _report_actuals(rep), base)
           + _same_reports("ledger path", old, rep) + _same_reports(f"at {MID_AS_OF}", mid, old_mid))
    total_signed = sum(v.get("signed_value", 0) for v in base.values())

    print(f"  {'what':<48}{'median':>10}{'ratio':>9}")
    for label, secs in (("baseline: raw SQL aggregate (3 queries)", base_s),
                        ("metrics.monthly_actuals (figures)", act_s),
                        ("progress.build_report (figures)", rep_s),
                        (f"progress.build_report (figures) at {MID_AS_OF}", mid_s),
                        ("progress.build_report (ledger path, before)", old_s),
                        (f"progress.build_report (ledger path) at {MID_AS_OF}", old_mid_s),
                        ("  part: metrics.pipeline_amounts", pipe_s),
                        ("  part: progress.county_progress", cty_s)):
        print(f"  {label:<48}{secs * 1000:>8.1f}ms{secs / base_s:>8.2f}x")
    print(f"  numbers: {len(base)} task forces, {YEAR} signed value to {AS_OF}: "
          f"{total_signed} 万元; " + ("agree" if not bad else f"{len(bad)} MISMATCHES"))
    for line in bad[:10]:
        print("  " + line)
    return not bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parse_sizes(parser)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measurement")
    args = parser.parse_args()
    ok = True
    print(f"load average at start: {loadavg()}  (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory(prefix="bench_progress_") as tmp:
        for label, target in backends(tmp):
            with target as url:
                app = make_app(url, tmp)
                with app.app_context():
                    t = time.perf_counter()
                    counts = build_ledger(args)
                    print(f"[{label}] ledger built in {time.perf_counter() - t:.1f} s: "
                          + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
                    print(f"[{label}] year {YEAR} judged at {AS_OF}, "
                          f"median of {args.runs} runs:")
                    ok = measure(args.runs) and ok
                database.close()
    print(f"load average at end: {loadavg()}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
