"""Nightly pruning of the login history and of ended sessions (issue 23): one attack of ten
seconds added a thousand ``login_attempt`` rows, and neither table was ever emptied.

Kept: login attempts younger than LOGIN_ATTEMPT_KEEP_DAYS, sessions ended (or dead: older
than the largest session age, never ended because nobody came back) less than
ENDED_SESSION_KEEP_DAYS ago. Live sessions are never touched. The settings come as
:class:`Retention` (``retention_from(config)``); at least one day is always kept, so the
throttle's windows (minutes) and the trusted addresses are not cut short by a typo."""
import datetime
from dataclasses import dataclass

from ...config import setting
from ...models import LoginAttempt, UserSession, utcnow
from .. import audit, tx
from .sessions import MAX_AGE

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Retention:
    attempts: datetime.timedelta
    sessions: datetime.timedelta


def retention_from(config):
    """LOGIN_ATTEMPT_KEEP_DAYS and ENDED_SESSION_KEEP_DAYS (each at least one day)."""
    return Retention(*(max(1, int(setting(config, name))) * DAY
                       for name in ("LOGIN_ATTEMPT_KEEP_DAYS", "ENDED_SESSION_KEEP_DAYS")))


@dataclass(frozen=True)
class PruneResult:
    attempts: int
    sessions: int

    def summary(self):
        return f"清理登录记录 {self.attempts} 条、已结束的会话 {self.sessions} 个"


def prune(retention, now=None):
    """Delete the login attempts and ended sessions older than ``retention`` says, in the
    caller's transaction (or one of its own). Returns the numbers deleted."""
    now = now or utcnow()
    attempts_before, sessions_before = now - retention.attempts, now - retention.sessions
    with tx.write():
        attempts = LoginAttempt.delete().where(LoginAttempt.at < attempts_before).execute()
        dead = UserSession.ended_at.is_null() & (UserSession.created_at < sessions_before - MAX_AGE)
        sessions = UserSession.delete().where(
            (UserSession.ended_at < sessions_before) | dead).execute()
        audit.record(None, "login_history", None, "prune", None,
                     {"attempts": attempts, "sessions_ended": sessions,
                      "attempts_before": attempts_before, "sessions_before": sessions_before})
    return PruneResult(attempts, sessions)
