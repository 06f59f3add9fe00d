"""Benchmark: import 10,000 ledger rows (preview, then commit in one transaction) against
parsing the same file with openpyxl in read-only mode (values only), in the same process.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--database-url URL]

Prints the bare parse, the preview (safety checks, parse, every row judged, one query for
the ledger twins), the commit (one transaction: locks, one duplicate re-check, the rows
planned with the write path's rules (services.imports.plan) and written in chunks
(services.imports.bulk): projects, stage events, audit rows, links, then the maintained
figures once) and their ratios, and checks the figures against the ledger (``flask
figures check``). Goal (issue "Excel in and out"): preview + commit under 5 s, within 3x
of the bare parse. Before the bulk write (one create_project and a change_stage per later
dated stage for each row) the commit took 76-82 s for 10,000 rows on SQLite.
"""
import argparse
import datetime
import io
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from openpyxl import Workbook, load_workbook  # noqa: E402

from tracker import clock, create_app, migrate  # noqa: E402
from tracker.domain import import_rules  # noqa: E402
from tracker.models import County, Project, TaskForce, User  # noqa: E402
from tracker.services.figures import monthly  # noqa: E402
from tracker.services.imports import commit as import_commit, uploads  # noqa: E402

STAGES = ["储备/谋划", "策划包装", "洽谈", "签约"]


def make_file(rows, teams):
    year = clock.today().year - 1
    book = Workbook(write_only=True)
    sheet = book.create_sheet("项目台账")
    sheet.append([t for t, _ in import_rules.COLUMNS])
    for i in range(rows):
        stage = STAGES[i % len(STAGES)]
        values = {"name": f"项目{i:05d}", "task_force": teams[i % len(teams)],
                  "county": "C1", "investor": f"投资方{i % 997}有限公司", "capital_type": "内资",
                  "planned_investment": 1000 + i, "stage": stage, "industry": "新材料",
                  "contact": "张三", "next_step": "推进签约"}
        if stage != "储备/谋划":
            values["packaged_on"] = datetime.date(year, 1 + i % 6, 1 + i % 27)
        if stage in ("洽谈", "签约"):
            values["negotiating_on"] = f"{year}年{7 + i % 3}月{1 + i % 27}日"
        if stage == "签约":
            values["signed_on"] = datetime.date(year, 11, 1 + i % 27)
            values["contract_value"] = 500
            values["signing_grade"] = "正式合同"
        sheet.append([values.get(key) for _, key in import_rules.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bare_parse(data):
    book = load_workbook(io.BytesIO(data), read_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(min_row=2, values_only=True))
    book.close()
    return count


CPU = {}   # seconds of this process's CPU per step: steadier than wall time on a busy host


def timed(call):
    start, cpu = time.perf_counter(), time.process_time()
    result = call()
    CPU[call] = time.process_time() - cpu
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-import-")
    url = args.database_url or "sqlite:///" + os.path.join(folder, "bench.db")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": None,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, instance_path=folder)
    with app.app_context():
        migrate.upgrade()
        teams = [TaskForce.create(code=f"TF{i}", name=f"TF{i}专班").code for i in range(6)]
        County.create(code="C1", name="新抚区")
        admin = User(username="admin", role="admin")
        admin.set_password("bench-password")
        admin.save()
        data = make_file(args.rows, teams)
        parse_s, count = timed(lambda: bare_parse(data))
        preview_s, result = timed(lambda: uploads.preview_bytes(admin, data, "bench.xlsx",
                                                                 50 * 1024 * 1024))
        assert count == args.rows and result.count("new") == args.rows, result.errors[:5]
        commit_s, batch = timed(lambda: import_commit.commit(admin, result))
        assert batch.created == args.rows == Project.select().count()
        assert monthly.check_now().rows == [], "maintained figures drifted"
    report(args.rows, data, url, parse_s, preview_s, commit_s)


def report(rows, data, url, parse_s, preview_s, commit_s):
    parse_cpu, preview_cpu, commit_cpu = CPU.values()
    total, total_cpu = preview_s + commit_s, preview_cpu + commit_cpu
    print(f"rows: {rows:,}  file: {len(data) / 1048576:.1f} MB  database: {url.split(':')[0]}")
    print(f"bare openpyxl read-only parse: {parse_s:6.2f} s  (CPU {parse_cpu:.2f} s)")
    print(f"import preview:                {preview_s:6.2f} s  ({preview_s / parse_s:.1f}x parse; "
          f"CPU {preview_cpu:.2f} s, {preview_cpu / parse_cpu:.1f}x)")
    print(f"import commit:                 {commit_s:6.2f} s  ({commit_s / parse_s:.1f}x parse; "
          f"CPU {commit_cpu:.2f} s, {commit_cpu / parse_cpu:.1f}x)")
    print(f"preview + commit:              {total:6.2f} s  ({total / parse_s:.1f}x parse; "
          f"CPU {total_cpu:.2f} s, {total_cpu / parse_cpu:.1f}x; goal < 5 s and < 3x)")


if __name__ == "__main__":
    main()
