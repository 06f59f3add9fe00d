"""Benchmark: a province-size day of 督办 reminders (issue 22, Proof): 10,000 recipients (200 task
forces x 50 people, one item due today per team, no one named responsible, so every member and
lead is reminded) built and handed to a local aiosmtpd server (its own process), against bare
smtplib sending the same messages over one connection in the same process. The robots' side
(2,000 robots) is bench/bench_notify.py.

    .venv/bin/python bench/bench_reminders.py [--database-url URL] [--teams N] [--people N]

Prints the build (who is due, render, store), the send (claim, SMTP, record each answer), the
total and its ratio to bare smtplib. Goal (issue 22): under 10 s, within 1.5x of bare smtplib.
"""
import argparse
import datetime
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from bench_summaries import SMTPSink, bare_smtplib  # noqa: E402
from tracker import create_app, migrate  # noqa: E402
from tracker.db import database  # noqa: E402

TODAY = datetime.date(2026, 12, 8)


def seed(teams, people):
    """Task forces with their people and one open 督办 item each, due today (bench data:
    written directly, nobody logs in)."""
    from tracker.models import Membership, SupervisionItem, TaskForce, User
    pw = "pbkdf2:sha256:1$bench$0"
    with database.atomic():
        bureau = User.create(username="bureau", display_name="商务局", email="bureau@example.test",
                             role="bureau", password_hash=pw)
        for i in range(1, teams + 1):
            team = TaskForce.create(code=f"TF{i:03d}", name=f"第{i:03d}招商专班")
            users = [{"username": f"tf{i:03d}u{j:02d}", "display_name": f"专班{i:03d}成员{j:02d}",
                      "email": f"tf{i:03d}u{j:02d}@example.test", "password_hash": pw,
                      "role": "lead" if j == 0 else "member"} for j in range(people)]
            User.insert_many(users).execute()
            ids = [u for (u,) in User.select(User.id).where(User.username.startswith(f"tf{i:03d}u"))
                   .tuples()]
            Membership.insert_many([{"user": u, "task_force": team.id} for u in ids]).execute()
            SupervisionItem.create(title=f"第{i:03d}专班用地协调", problem="项目用地指标未落实，影响开工。",
                                   task_force=team, deadline=TODAY, priority="key", opened_by=bureau)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--people", type=int, default=50, help="per task force")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_reminders_")
    url = args.database_url or "sqlite:///" + os.path.join(tmp, "bench.db")
    sink = SMTPSink()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": sink.port, "MAIL_FROM": "zhaoshang@example.test"},
                     instance_path=os.path.join(tmp, "instance"))
    try:
        with app.app_context():
            migrate.upgrade()
            t = time.perf_counter()
            seed(args.teams, args.people)
            print(f"seed: {time.perf_counter() - t:.2f} s ({args.teams} task forces, "
                  f"{args.teams * args.people} people, {args.teams} items due {TODAY})")
            database.close()
        with app.app_context():
            from tracker import settings as app_settings
            from tracker.models import OutboxBody, OutboxMessage
            from tracker.services.mail import delivery, mime
            from tracker.services.reminders import daily
            from tracker.services.reminders.settings import settings_from
            mail = app_settings.mail(app)
            t0 = time.perf_counter()
            built = daily.build(TODAY, settings_from(app.config), mail)
            t1 = time.perf_counter()
            sent = delivery.send_pending(mail)
            t2 = time.perf_counter()
            expected = args.teams * args.people
            assert built.created == expected, built
            assert sent.sent == expected and sink.count() == expected, sent
            rows = list(OutboxMessage.select(OutboxMessage, OutboxBody).join(OutboxBody)
                        .order_by(OutboxMessage.id))
            messages = [(mail.from_addr, r.to_addr, mime.build_mime(r, mail.from_addr, eight_bit=True))
                        for r in rows]
        before = sink.count()
        baseline = bare_smtplib(sink.port, messages)
        assert sink.count() - before == len(messages)
    finally:
        sink.stop()
    build_s, send_s, total = t1 - t0, t2 - t1, t2 - t0
    print(f"messages: {len(messages):,} ({sum(len(m[2]) for m in messages) / len(messages) / 1024:.1f} KB "
          "average MIME)")
    print(f"build (due + render + store): {build_s:.2f} s")
    print(f"send  (claim + SMTP + record): {send_s:.2f} s")
    print(f"total build + send:            {total:.2f} s   (goal < 10 s)")
    print(f"bare smtplib, same messages:   {baseline:.2f} s")
    print(f"ratio total / bare smtplib:    {total / baseline:.2f}x   (goal <= 1.5x)")
    print(f"ratio send  / bare smtplib:    {send_s / baseline:.2f}x")


if __name__ == "__main__":
    main()
