"""Benchmark: import 10,000 ledger rows: read the same sheet as .xlsx, .xls and .csv (GBK), and
preview then commit the .xlsx in one transaction, against bare reads in the same process.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--database-url URL]

Prints, per format, the bare read with the same reader the import uses (python-calamine for
.xlsx and .xls: open, sheet to Python lists; the csv module for .csv: decode, split) and the
import's parse of the same bytes (services.imports.parse: format from the bytes, the zip,
XML, OLE2 and extent checks, formulas, merged header, rows), with their ratio; for .xlsx
also openpyxl's read-only mode, the reader before python-calamine. Then the preview
(parse, every row judged, one query for the ledger twins) and the commit (one transaction:
locks, one duplicate re-check, the rows planned with the write path's rules
(services.imports.plan) and written in chunks (services.imports.bulk): projects, stage
events, audit rows, links, then the maintained figures once), their ratios to the bare
read, and checks the figures against the ledger (``flask figures check``). Goal (issue
"Excel in and out"): preview + commit under 5 s, within 3x of the bare parse. Before the
bulk write the commit took 76-82 s for 10,000 rows on SQLite; before python-calamine the
bare openpyxl read-only parse of the .xlsx took 4.2-5.3 s.
"""
import argparse
import csv
import datetime
import io
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import python_calamine  # noqa: E402
import xlwt  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from tracker import clock, create_app, migrate  # noqa: E402
from tracker.db import database  # noqa: E402
from tracker.domain import import_rules  # noqa: E402
from tracker.models import County, Project, TaskForce, User  # noqa: E402
from tracker.services.figures import monthly  # noqa: E402
from tracker.services.imports import commit as import_commit, parse, uploads  # noqa: E402

STAGES = ["储备/谋划", "策划包装", "洽谈", "签约"]


def make_table(rows, teams):
    """The header and ``rows`` ledger rows (lists), dates as date cells or Chinese text."""
    year = clock.today().year - 1
    table = [[t for t, _ in import_rules.COLUMNS]]
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
        table.append([values.get(key) for _, key in import_rules.COLUMNS])
    return table


def xlsx_file(table):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("项目台账")
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_file(table):
    book = xlwt.Workbook(encoding="utf-8")
    sheet, dates = book.add_sheet("项目台账"), xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(table):
    out = io.StringIO(newline="")
    csv.writer(out).writerows([["" if v is None else v for v in row] for row in table])
    return out.getvalue().encode("gbk")   # as Excel saves a .csv on a Chinese Windows


def bare_calamine(data):
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    count = len(book.get_sheet_by_index(0).to_python(skip_empty_area=False)) - 1
    book.close()
    return count


def bare_openpyxl(data):
    book = load_workbook(io.BytesIO(data), read_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(min_row=2, values_only=True))
    book.close()
    return count


def bare_csv(data):
    return sum(1 for _ in csv.reader(io.StringIO(data.decode("gb18030"), newline=""))) - 1


def best(call, runs=3):
    """The fastest of ``runs`` wall times and its result (CPU noise of a busy host aside)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def bare_insert(table, team_ids, county_id):
    """peewee ``insert_many`` of the same project rows (every column the file holds, as
    typed), 500 a statement, in one transaction rolled back: what writing the file's rows
    costs at the least, without stage history, audit, figures or checks."""
    keys = [key for _, key in import_rules.COLUMNS]
    rows = []
    for n, values in enumerate(table[1:]):
        row = dict(zip(keys, values))
        rows.append({"name": row["name"], "task_force": team_ids[row["task_force"]],
                     "county": county_id, "investor": row["investor"],
                     "industry": row["industry"] or "", "contact": row["contact"] or "",
                     "next_step": row["next_step"] or "",
                     "planned_investment": row["planned_investment"],
                     "contract_value": row["contract_value"], "dedupe_key": f"bare{n}",
                     "packaged_on": row["packaged_on"], "signed_on": row["signed_on"]})
    start, cpu = time.perf_counter(), time.process_time()
    with database.atomic() as txn:
        for first in range(0, len(rows), 500):
            Project.insert_many(rows[first:first + 500]).execute()
        txn.rollback()
    return time.perf_counter() - start, time.process_time() - cpu


def read_formats(table):
    """[(format, MB, reader, bare s, parse s)]: each file read bare and by the import."""
    out = []
    for kind, data, reader, bare in (("xlsx", xlsx_file(table), "python-calamine", bare_calamine),
                                     ("xls", xls_file(table), "python-calamine", bare_calamine),
                                     ("csv", csv_file(table), "csv module (GBK)", bare_csv)):
        bare_s, count = best(lambda bare=bare, data=data: bare(data))
        parse_s, parsed = best(lambda data=data: parse.parse(data, 50 * 1024 * 1024))
        assert count == len(parsed.rows) == len(table) - 1, (kind, count, len(parsed.rows))
        out.append((kind, len(data) / 1048576, reader, bare_s, parse_s))
        if kind == "xlsx":
            openpyxl_s, count = best(lambda data=data: bare_openpyxl(data), runs=1)
            assert count == len(table) - 1
            out.append((kind, len(data) / 1048576, "openpyxl read-only", openpyxl_s, None))
    return out


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
        table = make_table(args.rows, teams)
        formats = read_formats(table)
        data = xlsx_file(table)
        parse_s, count = timed(lambda: bare_calamine(data))
        insert_s, insert_cpu = bare_insert(
            table, {t.code: t.id for t in TaskForce.select()}, County.get().id)
        preview_s, result = timed(lambda: uploads.preview_bytes(admin, data, "bench.xlsx",
                                                                 50 * 1024 * 1024))
        assert count == args.rows and result.count("new") == args.rows, result.errors[:5]
        commit_s, batch = timed(lambda: import_commit.commit(admin, result))
        assert batch.created == args.rows == Project.select().count()
        assert monthly.check_now().rows == [], "maintained figures drifted"
    report(args.rows, formats, url, parse_s, preview_s, commit_s, (insert_s, insert_cpu))


def report(rows, formats, url, parse_s, preview_s, commit_s, bare_insert_s):
    parse_cpu, preview_cpu, commit_cpu = CPU.values()
    total, total_cpu = preview_s + commit_s, preview_cpu + commit_cpu
    print(f"rows: {rows:,}  database: {url.split(':')[0]}")
    print("format  file     bare read, same reader           import parse   ratio")
    for kind, size, reader, bare_s, import_s in formats:
        parsed = f"{import_s:6.2f} s   {import_s / bare_s:4.1f}x" if import_s is not None else \
            "     -"
        print(f"{kind:6}  {size:4.1f} MB  {bare_s:6.2f} s  {reader:20}  {parsed}")
    print(f"bare python-calamine read (.xlsx): {parse_s:6.2f} s  (CPU {parse_cpu:.2f} s)")
    print(f"import preview:                {preview_s:6.2f} s  ({preview_s / parse_s:.1f}x read; "
          f"CPU {preview_cpu:.2f} s, {preview_cpu / parse_cpu:.1f}x)")
    print(f"import commit:                 {commit_s:6.2f} s  ({commit_s / parse_s:.1f}x read; "
          f"CPU {commit_cpu:.2f} s, {commit_cpu / parse_cpu:.1f}x)")
    print(f"preview + commit:              {total:6.2f} s  ({total / parse_s:.1f}x read; "
          f"CPU {total_cpu:.2f} s, {total_cpu / parse_cpu:.1f}x)")
    insert_s, insert_cpu = bare_insert_s
    bare, bare_cpu = parse_s + insert_s, parse_cpu + insert_cpu
    print(f"bare insert_many, same rows:   {insert_s:6.2f} s  (CPU {insert_cpu:.2f} s)")
    print(f"whole import / (bare read + bare insert): {total / bare:.1f}x  "
          f"(CPU {total_cpu / bare_cpu:.1f}x; goal: whole import < 3 s, <= 2.5x)")


if __name__ == "__main__":
    main()
