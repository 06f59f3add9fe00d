"""Run service calls at the same moment from real threads (each with its own app context
and database connection) and collect what each returned or raised."""
import threading


def run_together(app, *calls, timeout=60):
    """Start one thread per call, release them together with a barrier, wait for all.
    Returns [(result, exception)] in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        with app.app_context():
            from tracker.db import database
            try:
                database.connect(reuse_if_open=True)
                barrier.wait(timeout)
                outcomes[index] = (call(), None)
            except Exception as exc:  # noqa: BLE001 - reported to the test
                outcomes[index] = (None, exc)
            finally:
                if not database.is_closed():
                    database.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert all(not t.is_alive() for t in threads), "a racing call never finished"
    return outcomes
