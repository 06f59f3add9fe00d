"""Benchmark: the group robots at province scale (issue 22, Proof): the weekly digest for
2,000 robots (200 task forces x 10 robots) queued and posted to a local robot server (a
separate process speaking the 企业微信 protocol), against bare ``urllib`` posting the same
JSON bodies to the same URLs in the same process (the two alternate in four rounds).

    .venv/bin/python bench/bench_notify.py [--database-url URL] [--robots N]

Prints the time of each phase, the total and the ratio to bare urllib.
Goal (issue 22): total under 10 s, within 1.5x of bare urllib.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tracker import create_app, migrate  # noqa: E402
from tracker.db import database  # noqa: E402

ROBOTS_PER_TF = 10
ROUNDS = 4
WEEK = "2026-W26"

SERVER = r"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

count = 0
lock = threading.Lock()

class Robot(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        global count
        json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            count += 1
        body = b'{"errcode":0,"errmsg":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
for line in sys.stdin:          # "count" -> number of messages accepted so far
    print(count, flush=True)
"""


class Sink:
    """The robot server in its own process (it must not share this process's GIL)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def count(self):
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def seed(port, robots):
    """``robots`` // 10 task forces with 10 robots each (rows written directly: setup)."""
    from tracker.models import GroupRobot, TaskForce
    from tracker.services import tx
    teams = robots // ROBOTS_PER_TF
    with tx.write():
        TaskForce.insert_many([{"code": f"TF{n:04d}", "name": f"第{n}专班"} for n in range(teams)]).execute()
        ids = [i for (i,) in TaskForce.select(TaskForce.id).order_by(TaskForce.id).tuples()]
        rows = [{"task_force": tf, "kind": "wecom", "name": f"群{k}",
                 "webhook_url": f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={tf}-{k}"}
                for tf in ids for k in range(ROBOTS_PER_TF)]
        for start in range(0, len(rows), 500):
            GroupRobot.insert_many(rows[start:start + 500]).execute()
    return ids


def digests(team_ids):
    """One digest per task force, as services.mail.robot_digest hands them over."""
    from tracker.services.robots import digest
    lines = tuple(digest.Line(label, "3.50", "20.00", "亿元", "17.50%", "欠进度")
                  for label in ("策划包装项目", "洽谈项目", "签约额", "到位资金"))
    return [digest.Digest(tf, f"第{tf}专班", WEEK, lines, ("综合完成率 15.23%，全市排名第 1",),
                          f"https://zhaoshang.example.gov.cn/taskforces/TF{tf}") for tf in team_ids]


def bare_urllib(requests):
    start = time.perf_counter()
    for url, body in requests:
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(req, timeout=10) as response:
            assert json.loads(response.read())["errcode"] == 0
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--robots", type=int, default=2000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_notify_")
    url = args.database_url or "sqlite:///" + os.path.join(tmp, "bench.db")
    sink = Sink()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ROBOT_EXTRA_HOSTS": ["127.0.0.1"],
                      "ROBOT_ALLOW_HTTP": True}, instance_path=os.path.join(tmp, "instance"))
    try:
        with app.app_context():
            migrate.upgrade()
            team_ids = seed(sink.port, args.robots)
            from tracker.services.robots import delivery, digest
            from tracker.services.robots.settings import RobotSettings
            from tracker.services.robots.transport import request_of
            from tracker.models import GroupRobot, RobotMessage
            settings = RobotSettings.from_config(app.config)
            t0 = time.perf_counter()
            queued = digest.enqueue_week(digests(team_ids))
            queue_s = time.perf_counter() - t0
            rows = list(RobotMessage.select(RobotMessage, GroupRobot).join(GroupRobot).order_by(RobotMessage.id))
            requests = [request_of(r.robot, r) for r in rows]
            size = sum(len(b) for _u, b in requests) / len(requests)
            # In ROUNDS alternating rounds (bare urllib on a quarter of the messages, then the
            # outbox posting the next quarter of its queue): load from other processes on a
            # busy machine falls on both alike.
            send_s = baseline = 0.0
            sent = 0
            step = -(-len(requests) // ROUNDS)
            for start in range(0, len(requests), step):
                baseline += bare_urllib(requests[start:start + step])
                t = time.perf_counter()
                sent += delivery.send_pending(settings, limit=step).sent
                send_s += time.perf_counter() - t
            assert queued == args.robots and sent == queued and sink.count() == 2 * queued, sent
            database.close()
    finally:
        sink.stop()
    total = queue_s + send_s
    print(f"robots: {len(requests)} ({size / 1024:.1f} KB average JSON body)")
    print(f"queue (render + enqueue):      {queue_s:.2f} s")
    print(f"send  (claim + POST + record): {send_s:.2f} s")
    print(f"total queue + send:            {total:.2f} s   (goal < 10 s)")
    print(f"bare urllib, same messages:    {baseline:.2f} s")
    print(f"ratio total / bare urllib:     {total / baseline:.2f}x   (goal <= 1.5x)")
    print(f"ratio send  / bare urllib:     {send_s / baseline:.2f}x")


if __name__ == "__main__":
    main()
