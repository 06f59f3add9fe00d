"""The app in a process of its own for tests/services/test_report_cache.py: its own
connection and its own report cache. Reads one JSON command per line on stdin, answers one
JSON line on stdout:

    ["report", year, "as_of"]            -> repr of progress.report.build_report (cached)
    ["funds", project_id, "day", "amount"] -> "ok" once a receipt is committed
    ["stats"]                            -> {"hits": n, "misses": n, "kept": n}

Usage: python report_cache_worker.py DATABASE_URL INSTANCE_PATH TODAY
"""
import datetime
import json
import sys


def main():
    url, instance, today = sys.argv[1:4]
    from tests.conftest import make_app
    from tracker import clock
    from tracker.db import database
    from tracker.models import User
    from tracker.services.ledger import projects
    from tracker.services import memo as cache
    from tracker.services.progress import report
    day = datetime.date.fromisoformat(today)
    clock.today = lambda tz=None: day
    app = make_app(url, instance)
    for line in sys.stdin:
        command = json.loads(line)
        with app.app_context():
            if command[0] == "report":
                out = repr(report.build_report(command[1],
                                               datetime.date.fromisoformat(command[2])))
            elif command[0] == "funds":
                user = User.get(User.username == "bureau")
                projects.record_funds(user, command[1],
                                      received_on=datetime.date.fromisoformat(command[2]),
                                      amount=command[3], closed_reason="补录")
                out = "ok"
            else:
                out = {"hits": cache.stats.hits, "misses": cache.stats.misses,
                       "kept": cache.stats.kept}
            database.close()
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
