"""Who owns a running job, whether that owner is still alive, and the heartbeat that shows it.

A claimed JobRun row names its owner: host name and process id. While the job runs, a
small thread refreshes the row's ``heartbeat_at`` every SCHEDULER_HEARTBEAT seconds.

When is a running row's owner gone?
    - on this host: when its pid no longer exists (``os.kill(pid, 0)``). A pid that
      exists but has not beaten for ``stale_after`` (6 hours) is taken as reused by an
      unrelated process, so a reused pid never blocks a period for ever;
    - elsewhere: when its heartbeat is older than SCHEDULER_HEARTBEAT_STALE seconds;
    - a row without a heartbeat (written before migration 0012): when it started more
      than ``stale_after`` ago, as before.
"""
import datetime
import logging
import os
import socket
import threading
from dataclasses import dataclass

from .config import setting

log = logging.getLogger("tracker.scheduler")


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int

    def __iter__(self):
        return iter((self.host, self.pid))

    def __str__(self):
        return f"{self.host}:{self.pid}"


@dataclass(frozen=True)
class Liveness:
    alive: bool
    reason: str  # zh-CN, shown to the operator and kept in the audit trail


def this_owner():
    return Owner(socket.gethostname()[:255], os.getpid())


def pid_alive(pid):
    """Whether a process ``pid`` exists on this host (a zombie still counts until reaped)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _age(now, moment):
    seconds = int((now - moment).total_seconds())
    if seconds < 120:
        return f"{seconds} 秒"
    if seconds < 7200:
        return f"{seconds // 60} 分钟"
    return f"{seconds // 3600} 小时"


def judge(run, now, heartbeat_stale, stale_after, here=None):
    """Liveness of the owner of the running ``run`` at ``now`` (naive UTC)."""
    here = here or this_owner()
    beat = run.heartbeat_at or run.started_at
    age = now - beat
    if run.host and run.host == here.host and run.pid:
        if not pid_alive(run.pid):
            return Liveness(False, f"本机进程 {run.pid} 已不存在")
        if age > stale_after:
            return Liveness(False, f"本机进程 {run.pid} 仍在，但心跳已 {_age(now, beat)}未更新")
        return Liveness(True, f"本机进程 {run.pid} 仍在运行")
    if run.heartbeat_at is None:
        if age > stale_after:
            return Liveness(False, f"无心跳记录，已开始 {_age(now, beat)}")
        return Liveness(True, f"无心跳记录，开始于 {_age(now, beat)}前")
    where = f"{run.host or '未知主机'}:{run.pid or '?'}"
    if age > heartbeat_stale:
        return Liveness(False, f"进程 {where} 的心跳已 {_age(now, beat)}未更新")
    return Liveness(True, f"进程 {where} 的心跳在 {_age(now, beat)}前，仍新鲜")


def heartbeat_every(config):
    return float(setting(config, "SCHEDULER_HEARTBEAT"))


def heartbeat_stale(config):
    return datetime.timedelta(seconds=float(setting(config, "SCHEDULER_HEARTBEAT_STALE")))


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Heartbeat:
    """``with Heartbeat(app, run):`` refreshes ``run``'s heartbeat every SCHEDULER_HEARTBEAT
    seconds from a daemon thread (its own app context and connection) until the block ends
    or the run is no longer ours. A failed beat is logged and tried again next time."""

    def __init__(self, app, run, beat):
        self.app, self.run, self.beat = app, run, beat
        self.every = heartbeat_every(app.config)
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        if self.every > 0:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name=f"heartbeat-{self.run.job}")
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self):
        while not self._stop.wait(self.every):
            try:
                with self.app.app_context():
                    if not self.beat(self.run, _utcnow()):
                        log.warning("%s %s: no longer ours, heartbeat stops",
                                    self.run.job, self.run.period_key)
                        return
            except Exception:  # noqa: BLE001 - e.g. database busy: beat again later
                log.exception("%s %s: heartbeat failed", self.run.job, self.run.period_key)
