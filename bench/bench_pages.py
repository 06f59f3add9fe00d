"""Benchmark: the ledger page (/projects/ with filters and sorting) and the
dashboard (/dashboard/) served through the Flask test client on the big ledger
of bench_progress.py (default 100,000 projects), against two baselines run in
the same process:

  bare     a bare Flask app (no database, no login) rendering a Jinja template
           that produces a page of the same size: the cost of the framework,
           the test client and template rendering alone;
  raw SQL  the page's queries written by hand and run with cursor.execute
           (ledger: filter lists, count and sums, one page of rows with task
           force and county; dashboard: the per-task-force actuals, county
           funds, forecast pipeline and open stale flags).

    .venv/bin/python bench/bench_pages.py [--projects N] [--runs N]

Prints per page the median time of --runs requests (after one warm-up), the
HTML size and three ratios: page / bare, page / raw SQL and page / (bare + raw
SQL). The last one is the overhead of the app over doing the same work by hand
(ORM, forms, Python-side assembly); ~1-3x is expected, and a page far above
that, or a raw SQL time that is itself large, is where to look. Uses SQLite,
and PostgreSQL as well when TRACKER_BENCH_POSTGRES_URL is set (see
bench_progress.py).
"""
import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_progress as bp  # noqa: E402
from bench_progress import AS_OF, YEAR  # noqa: E402

from tracker.db import backend_name, database  # noqa: E402

PASSWORD = "bench-password-1"


# --- baseline 1: a bare Flask app -----------------------------------------------------

BARE_BASE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{% block title %}{% endblock %}</title></head>
<body><main>{% block content %}{% endblock %}</main></body></html>"""
BARE_PAGE = """{% extends "base.html" %}{% block title %}基准{% endblock %}
{% block content %}<table class="ledger"><tbody>
{% for r in rows %}<tr data-id="{{ r.id }}"><td><a href="/p/{{ r.id }}">{{ r.name }}</a></td>
<td>{{ r.team }}</td><td>{{ r.county }}</td><td class="num">{{ '{:,.2f}'.format(r.amount) }}</td>
<td><span class="badge">{{ r.stage }}</span></td><td>{{ r.day }}</td></tr>
{% endfor %}</tbody></table>{% endblock %}"""


def bare_app():
    """A Flask app with one route rendering BARE_PAGE with ?rows=N rows."""
    from flask import Flask, render_template, request
    from jinja2 import DictLoader
    app = Flask("bare")
    app.jinja_loader = DictLoader({"base.html": BARE_BASE, "page.html": BARE_PAGE})
    data = [{"id": i, "name": f"项目{i:06d}", "team": "第07招商专班", "county": "新抚区",
             "amount": 123456.78 + i, "stage": "洽谈", "day": "2026-09-30"}
            for i in range(20_000)]

    @app.route("/")
    def page():
        return render_template("page.html", rows=data[:int(request.args["rows"])])
    return app


def bare_rows_for(client, size):
    """Rows that make the bare page about ``size`` bytes."""
    small = len(client.get("/?rows=10").data)
    big = len(client.get("/?rows=110").data)
    per_row = (big - small) / 100
    return max(1, round((size - small) / per_row) + 10)


# --- baseline 2: the pages' queries by hand --------------------------------------------

def _year_sql(p):
    """Hand-written year filter (same meaning as services.ledger.listing.year_condition),
    returned with its parameters."""
    start, end = f"{YEAR}-01-01", f"{YEAR}-12-31"
    utc_start, utc_end = f"{YEAR - 1}-12-31 16:00:00", f"{YEAR}-12-31 16:00:00"
    cols = ("packaged_on", "negotiating_on", "signed_on", "started_on", "producing_on",
            "at_capacity_on")
    parts = [f"p.created_at BETWEEN {p} AND {p}"] + [f"p.{c} BETWEEN {p} AND {p}" for c in cols]
    params = [utc_start, utc_end] + [start, end] * len(cols)
    for table, column in (("stage_event", "occurred_on"), ("fund_receipt", "received_on"),
                          ("capital_increase", "occurred_on")):
        if backend_name() == "sqlite":
            parts.append(f"EXISTS (SELECT 1 FROM {table} x WHERE x.project_id = p.id"
                         f" AND x.{column} BETWEEN {p} AND {p} AND x.voided_at IS NULL)")
        else:
            parts.append(f"p.id IN (SELECT project_id FROM {table}"
                         f" WHERE {column} BETWEEN {p} AND {p} AND voided_at IS NULL)")
        params += [start, end]
    return "(" + " OR ".join(parts) + ")", params


def raw_ledger(where, params, order, per_page=25):
    """(count, rows) of one ledger page the way one would write it by hand."""
    cursor = database.cursor()
    cursor.execute("SELECT id, name FROM task_force ORDER BY code")
    cursor.fetchall()
    cursor.execute("SELECT id, name FROM county ORDER BY code")
    cursor.fetchall()
    cursor.execute("SELECT COUNT(*), SUM(p.planned_investment), SUM(p.contract_value)"
                   f" FROM project p WHERE {where}", params)
    count = cursor.fetchone()[0]
    cursor.execute(
        "SELECT p.*, t.code, t.name, c.name FROM project p"
        " JOIN task_force t ON t.id = p.task_force_id"
        f" LEFT JOIN county c ON c.id = p.county_id WHERE {where}"
        f" ORDER BY {order} LIMIT {per_page} OFFSET 0", params)
    return count, cursor.fetchall()


def raw_dashboard():
    """The dashboard's numbers by hand: actuals, county funds, pipeline, stale flags."""
    p = database.param
    cursor = database.cursor()
    actuals = bp.raw_actuals(YEAR, AS_OF)
    cursor.execute(
        "SELECT p.county_id,"
        f" SUM(CASE WHEN f.received_on BETWEEN {p} AND {p} THEN f.amount ELSE 0 END),"
        f" SUM(CASE WHEN f.received_on BETWEEN {p} AND {p} THEN f.amount ELSE 0 END),"
        f" SUM(CASE WHEN f.received_on BETWEEN {p} AND {p} THEN f.amount ELSE 0 END)"
        " FROM fund_receipt f JOIN project p ON p.id = f.project_id"
        f" WHERE f.received_on BETWEEN {p} AND {p} GROUP BY p.county_id",
        (f"{YEAR}-01-01", AS_OF.isoformat(), f"{YEAR - 1}-01-01", f"{YEAR - 1}-12-31",
         f"{YEAR - 1}-01-01", AS_OF.replace(year=YEAR - 1).isoformat(),
         f"{YEAR - 1}-01-01", AS_OF.isoformat()))
    cursor.fetchall()
    cursor.execute(
        "SELECT task_force_id, stage, SUM(planned_investment), COUNT(*),"
        " SUM(COALESCE(contract_value, planned_investment * 0.2)) FROM project"
        " WHERE stage IN ('reserve', 'packaged', 'negotiating') AND expected_sign_date"
        f" BETWEEN {p} AND {p} GROUP BY task_force_id, stage",
        ((AS_OF + datetime.timedelta(days=1)).isoformat(), f"{YEAR}-12-31"))
    cursor.fetchall()
    cursor.execute(
        "SELECT s.level, s.since, s.last_progress_on, p.id, p.name, p.stage, t.id, t.code,"
        " t.name, u.display_name FROM stale_flag s JOIN project p ON p.id = s.project_id"
        " JOIN task_force t ON t.id = p.task_force_id LEFT JOIN app_user u ON u.id = p.owner_id"
        " WHERE s.cleared_on IS NULL AND (p.last_progress_on IS NULL"
        " OR p.last_progress_on <= s.last_progress_on)"
        " AND p.stage IN ('reserve', 'packaged', 'negotiating', 'signed', 'started')")
    stale = cursor.fetchall()
    return actuals, stale


# --- measuring -------------------------------------------------------------------------

def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cases(team_id):
    """(label, URL, function running the page's queries by hand)."""
    p = database.param
    year_where, year_params = _year_sql(p)
    return [
        ("ledger ?tf&stage, sort planned",
         f"/projects/?tf={team_id}&stage=negotiating&sort=planned&dir=desc",
         lambda: raw_ledger(f"p.task_force_id = {p} AND p.stage = {p}",
                            (team_id, "negotiating"), "p.planned_investment DESC, p.id + 0 DESC")),
        ("ledger ?year, sort updated",
         f"/projects/?year={YEAR}",
         lambda: raw_ledger(year_where, year_params, "p.updated_at DESC, p.id + 0 DESC")),
        ("ledger ?tf&year, sort contract",
         f"/projects/?tf={team_id}&year={YEAR}&sort=contract",
         lambda: raw_ledger(f"p.task_force_id = {p} AND {year_where}",
                            [team_id] + year_params,
                            "COALESCE(p.contract_value, 0) DESC, p.id + 0 DESC")),
        ("ledger, no filter (landing)", "/projects/",
         lambda: raw_ledger("1 = 1", (), "p.updated_at DESC, p.id + 0 DESC")),
        ("dashboard", f"/dashboard/?year={YEAR}&as_of={AS_OF.isoformat()}", raw_dashboard),
    ]


def measure(app, runs):
    from tracker.models import TaskForce, User
    from tracker.services.staleness import flags
    with app.app_context():
        user = User(username="bench_bureau", display_name="商务局", role="bureau")
        user.set_password(PASSWORD)
        user.save()
        t = time.perf_counter()
        scan = flags.scan(AS_OF)
        print(f"  staleness.scan({AS_OF}) once: {time.perf_counter() - t:.1f} s, "
              f"open flags {sum(scan.open.values()):,}")
        team_id = TaskForce.get(TaskForce.code == "TF07").id
        database.close()

    client = app.test_client()
    response = client.post("/login", data={"username": "bench_bureau", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    bare = bare_app().test_client()

    print(f"  {'page':<34}{'median':>9}{'size':>9}{'bare':>9}{'raw SQL':>9}"
          f"{'/bare':>8}{'/raw':>7}{'/(b+r)':>8}")
    ok = True
    for label, url, raw in cases(team_id):
        response = client.get(url)
        html = response.get_data(as_text=True)
        if response.status_code != 200:
            print(f"  {label}: HTTP {response.status_code}")
            ok = False
            continue
        page_s = median_time(lambda url=url: client.get(url).status_code, runs)
        rows = bare_rows_for(bare, len(response.data))
        bare_url = f"/?rows={rows}"
        bare_size = len(bare.get(bare_url).data)
        bare_s = median_time(lambda bare_url=bare_url: bare.get(bare_url).status_code, runs)
        with app.app_context():
            database.connect(reuse_if_open=True)
            result = raw()
            raw_s = median_time(raw, runs)
        if label.startswith("ledger") and f"共 {result[0]} 个项目" not in html:
            print(f"  {label}: the page does not show the raw count {result[0]}")
            ok = False
        print(f"  {label:<34}{page_s * 1000:>7.1f}ms{len(response.data) / 1024:>7.0f}KB"
              f"{bare_s * 1000:>7.1f}ms{raw_s * 1000:>7.1f}ms{page_s / bare_s:>7.1f}x"
              f"{page_s / raw_s:>6.1f}x{page_s / (bare_s + raw_s):>7.1f}x"
              + (f"   (bare page {bare_size / 1024:.0f}KB)" if abs(bare_size - len(
                  response.data)) > 0.1 * len(response.data) else ""))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bp.parse_sizes(parser)
    parser.add_argument("--runs", type=int, default=3, help="timed requests per page")
    args = parser.parse_args()
    ok = True
    print(f"load average at start: {bp.loadavg()}  (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp:
        for label, target in bp.backends(tmp):
            with target as url:
                app = bp.make_app(url, tmp)
                with app.app_context():
                    t = time.perf_counter()
                    counts = bp.build_ledger(args)
                    print(f"[{label}] ledger built in {time.perf_counter() - t:.1f} s: "
                          + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
                database.close()
                print(f"[{label}] median of {args.runs} requests; year {YEAR}, as of {AS_OF}:")
                ok = measure(app, args.runs) and ok
                database.close()
    print(f"load average at end: {bp.loadavg()}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
