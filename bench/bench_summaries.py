"""Benchmark: build and send one week's summaries for 50 task forces and 1,000
recipients to a local aiosmtpd server, against bare smtplib sending the same
pre-rendered messages over one connection in the same process.

    .venv/bin/python bench/bench_summaries.py [--database-url URL] [--repeat N]

Prints the time of each phase, the total and the ratio to bare smtplib; with
--repeat N, one line per run (each in a fresh process, with the load average) and
the medians.
Goal (issue 4): total under 10 s, within 2x of bare smtplib.
"""
import argparse
import datetime
import os
import random
import smtplib
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tracker import create_app, migrate  # noqa: E402
from tracker.db import database  # noqa: E402

TASK_FORCES = 50
MEMBERS_PER_TF = 19          # 50 x 19 = 950 task-force recipients
BUREAU_USERS = 50            # + 50 city-summary recipients = 1,000 messages
PROJECTS_PER_TF = 40
WEEK = "2026-W26"
MONDAY = datetime.date(2026, 6, 22)


SERVER = r"""
import sys, time
from aiosmtpd.controller import Controller

class Counting:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Counting.count += 1
        return "250 OK"

controller = Controller(Counting(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:          # "count" -> number of messages accepted so far
    print(Counting.count, flush=True)
controller.stop()
"""


class SMTPSink:
    """aiosmtpd in its own process (so the server does not share this process's GIL
    with the code being measured); counts the messages it accepted."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(self.port)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def count(self):
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed():
    """Task forces, users, memberships, targets and a ledger with activity in the week."""
    from tracker.domain import pipeline, text
    from tracker.models import (
        FundReceipt, Membership, Project, StageEvent, TaskForce, User,
    )
    from tracker.services.staleness import flags
    from tracker.services.targets import annual
    rnd = random.Random(26)
    pw = "pbkdf2:sha256:1$bench$0"   # nobody logs in
    with database.atomic():
        teams = [TaskForce.create(code=f"TF{i:02d}", name=f"第{i:02d}招商专班",
                                  industry="装备制造") for i in range(1, TASK_FORCES + 1)]
        bureau = [User.create(username=f"bureau{i:02d}", display_name=f"商务局{i:02d}",
                              email=f"bureau{i:02d}@example.test", role="bureau",
                              password_hash=pw) for i in range(BUREAU_USERS)]
        for team in teams:
            for j in range(MEMBERS_PER_TF):
                user = User.create(username=f"{team.code.lower()}m{j:02d}",
                                   display_name=f"{team.code}成员{j:02d}",
                                   email=f"{team.code.lower()}m{j:02d}@example.test",
                                   role="lead" if j == 0 else "member", password_hash=pw)
                Membership.create(user=user, task_force=team)
        annual.apply_defaults(2026, bureau[0])
        order = pipeline.ORDER
        for team in teams:
            for k in range(PROJECTS_PER_TF):
                stage = order[rnd.randrange(1, 6)]
                day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rnd.randrange(0, 178))
                reached = pipeline.first_reached_updates({}, stage, day)
                contract = Decimal(rnd.randrange(1000, 90000)) \
                    if pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED) else None
                # most projects logged progress lately; about one in eight is stale
                last = day if rnd.random() < 0.12 else max(day, MONDAY - datetime.timedelta(
                    days=rnd.randrange(0, 50)))
                name, investor = f"{team.code}-项目{k:03d}", f"投资方{k}"
                project = Project.create(
                    name=name, task_force=team, investor=investor,
                    dedupe_key=text.duplicate_key(name, investor),
                    planned_investment=Decimal(rnd.randrange(1000, 200000)),
                    contract_value=contract, stage=stage, last_progress_on=last,
                    owner=None, **{pipeline.FIRST_REACHED_FIELD[s]: d for s, d in reached.items()})
                StageEvent.create(project=project, from_stage=None, stage=stage, occurred_on=day)
                if day >= MONDAY:
                    continue
                if rnd.random() < 0.15:   # advanced during the week
                    StageEvent.create(project=project, from_stage=pipeline.NEGOTIATING,
                                      stage=stage, occurred_on=MONDAY + datetime.timedelta(
                                          days=rnd.randrange(7)))
                if rnd.random() < 0.2:
                    FundReceipt.create(project=project, amount=Decimal(rnd.randrange(10, 5000)),
                                       received_on=MONDAY + datetime.timedelta(
                                           days=rnd.randrange(7)))
    flags.scan(datetime.date(2026, 6, 28))


def bare_smtplib(port, messages):
    """Send pre-rendered (from, to, bytes) over one connection."""
    start = time.perf_counter()
    conn = smtplib.SMTP("127.0.0.1", port)
    for from_addr, to_addr, data in messages:
        conn.sendmail(from_addr, [to_addr], data)
    conn.quit()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs, each in a fresh process (default 1); prints the median")
    args = parser.parse_args()
    if args.repeat > 1:
        if args.database_url:
            parser.error("--repeat seeds a fresh temporary SQLite database for each run")
        return repeat(args)

    tmp = tempfile.mkdtemp(prefix="bench_summaries_")
    url = args.database_url or "sqlite:///" + os.path.join(tmp, "bench.db")
    sink = SMTPSink()
    port = sink.port
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": port, "MAIL_FROM": "zhaoshang@example.test"},
                     instance_path=os.path.join(tmp, "instance"))
    try:
        with app.app_context():
            migrate.upgrade()
            t = time.perf_counter()
            seed()
            print(f"seed: {time.perf_counter() - t:.2f} s "
                  f"({TASK_FORCES} task forces, {TASK_FORCES * PROJECTS_PER_TF} projects)")
            database.close()

        with app.app_context():
            from tracker.services.mail import mime, delivery, summaries
            from tracker import settings as web_settings
            settings = web_settings.mail(app)
            t0 = time.perf_counter()
            built = summaries.build_week(WEEK, settings)
            t1 = time.perf_counter()
            sent = delivery.send_pending(settings)
            t2 = time.perf_counter()
            assert built.created == TASK_FORCES * MEMBERS_PER_TF + BUREAU_USERS, built
            assert sent.sent == built.created and sink.count() == sent.sent, sent
            build_s, send_s, total = t1 - t0, t2 - t1, t2 - t0

            from tracker.models import OutboxBody, OutboxMessage
            rows = list(OutboxMessage.select(OutboxMessage, OutboxBody).join(OutboxBody)
                        .order_by(OutboxMessage.id))
            messages = [(app.config["MAIL_FROM"], r.to_addr,
                         mime.build_mime(r, settings.from_addr, eight_bit=True)) for r in rows]
            biggest = max(len(r.body_html.encode()) for r in rows)
        before = sink.count()
        baseline = bare_smtplib(port, messages)
        assert sink.count() - before == len(messages)
    finally:
        sink.stop()

    n = len(messages)
    print(f"messages: {n} ({sum(len(m[2]) for m in messages) / n / 1024:.1f} KB average MIME, "
          f"largest HTML part {biggest / 1024:.1f} KB)")
    print(f"build (report + render + store): {build_s:.2f} s")
    print(f"send  (claim + SMTP + record):   {send_s:.2f} s")
    print(f"total build + send:              {total:.2f} s   (goal < 10 s)")
    print(f"bare smtplib, same messages:     {baseline:.2f} s")
    print(f"ratio total / bare smtplib:      {total / baseline:.2f}x   (goal <= 2x)")
    print(f"ratio send  / bare smtplib:      {send_s / baseline:.2f}x")


def repeat(args):
    """Run the benchmark ``args.repeat`` times, each in a fresh process (so each pays
    template compilation and cold caches, like a CLI run), with the load average
    before each run; then the median of each figure."""
    import re
    import statistics
    figures = {}
    for i in range(args.repeat):
        load = os.getloadavg()
        cmd = [sys.executable, os.path.abspath(__file__)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        values = {}
        for label, line in (("build", "build"), ("send", "send"), ("total", "total build"),
                            ("bare", "bare smtplib"), ("ratio", "ratio total"),
                            ("send ratio", "ratio send")):
            match = re.search(rf"^{line}\b.*?:\s+([\d.]+)", out, re.M)
            values[label] = float(match.group(1))
            figures.setdefault(label, []).append(values[label])
        print(f"run {i + 1}: load {load[0]:.2f}  " + "  ".join(
            f"{k} {v:.2f}" for k, v in values.items()), flush=True)
    print("median: " + "  ".join(f"{k} {statistics.median(v):.2f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
