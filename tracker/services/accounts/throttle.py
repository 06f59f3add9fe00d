"""Login throttling and login history (issue "Accounts, sessions and hardening").

Every try at the login form is a ``login_attempt`` row, so the limits hold across worker
processes: after LOGIN_ACCOUNT_LIMIT (5) failures for one user name, or LOGIN_ADDRESS_LIMIT
(20) from one address, within LOGIN_WINDOW_MINUTES (15), further tries are refused for
LOGIN_LOCKOUT_MINUTES (15), even with the right password. A success clears the account's
count (the address count stays). Names are counted whether or not such a user exists, so a
lockout tells nothing about which names are real.

A try is recorded *before* the password is checked ("pending", counted like a failure) and
then given its outcome: simultaneous tries in several workers see each other, so no burst
gets past the limit. The limits come as :class:`Limits` (``limits_from(config)``, built by the
edge from the app's config).
"""
import datetime
from dataclasses import dataclass

from peewee import fn

from ...config import setting
from ...domain import accounts as rules
from ...models import LoginAttempt, User
from ...models.base import utcnow
from . import users, sessions

SETTINGS = ("LOGIN_ACCOUNT_LIMIT", "LOGIN_ADDRESS_LIMIT", "LOGIN_WINDOW_MINUTES",
            "LOGIN_LOCKOUT_MINUTES")
COUNTED = ("failure", "pending")
WRONG = "用户名或密码错误。"
ACCOUNT_LOCKED = "该账号登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。"
ADDRESS_LOCKED = "本机地址登录失败次数过多，已暂时限制登录，请 {minutes} 分钟后再试。"


@dataclass(frozen=True)
class Limits:
    account: int
    address: int
    window: datetime.timedelta
    lockout: datetime.timedelta


def limits_from(config):
    value = {k: int(setting(config, k)) for k in SETTINGS}
    return Limits(value["LOGIN_ACCOUNT_LIMIT"], value["LOGIN_ADDRESS_LIMIT"],
                  datetime.timedelta(minutes=value["LOGIN_WINDOW_MINUTES"]),
                  datetime.timedelta(minutes=value["LOGIN_LOCKOUT_MINUTES"]))


def locked_until(times, limit, window, lockout):
    """End of the latest lockout among failure ``times`` (ascending), or None: a lockout
    starts at the failure that makes ``limit`` failures within ``window``."""
    until = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window:
            until = times[i] + lockout
    return until


def _failure_times(where, before_id, since):
    query = (LoginAttempt.select(LoginAttempt.at)
             .where(where & LoginAttempt.outcome.in_(COUNTED) & (LoginAttempt.at >= since)
                    & (LoginAttempt.id < before_id))
             .order_by(LoginAttempt.at, LoginAttempt.id))
    return [row.at for row in query]


def lock_message(username, address, before_id, limits, now):
    """The refusal for a try (row ``before_id``) now, or None when it may go ahead."""
    since = now - limits.window - limits.lockout
    last_success = (LoginAttempt.select(fn.MAX(LoginAttempt.id))
                    .where((LoginAttempt.username == username)
                           & (LoginAttempt.outcome == "success")
                           & (LoginAttempt.id < before_id)).scalar()) or 0
    checks = (
        (ACCOUNT_LOCKED, limits.account, (LoginAttempt.username == username)
         & (LoginAttempt.id > last_success)),
        (ADDRESS_LOCKED, limits.address, LoginAttempt.address == address),
    )
    for message, limit, where in checks:
        until = locked_until(_failure_times(where, before_id, since), limit,
                             limits.window, limits.lockout)
        if until is not None and until > now:
            minutes = max(1, -(-int((until - now).total_seconds()) // 60))
            return message.format(minutes=minutes)
    return None


@dataclass(frozen=True)
class LoginResult:
    user: object  # the logged-in user bound to a new session, or None
    error: str    # the message to show when refused


def log_in(username, password, address="", user_agent="", remember=False, limits=None,
           hash_method=None):
    """One try at the login form: refused while the name or the address is locked out, else
    the password is checked (the same cost for unknown names, PASSWORD_HASH_METHOD
    ``hash_method``) and, when right, a new session starts. Every try is recorded with its
    outcome. ``limits``: Limits (the defaults when left out)."""
    limits = limits or limits_from({})
    name, _ = rules.clean_username(username)
    name, address, user_agent = (name or "")[:64], (address or "")[:64], (user_agent or "")[:255]
    attempt = LoginAttempt.create(username=name, address=address, user_agent=user_agent,
                                  outcome="pending", at=utcnow())
    refusal = lock_message(name, address, attempt.id, limits, utcnow())
    user = None if refusal else users.authenticate(username, password, hash_method=hash_method)
    outcome = "locked" if refusal else "success" if user else "failure"
    known = user.id if user else User.select(User.id).where(User.username == name).scalar()
    (LoginAttempt.update(outcome=outcome, user=known)
     .where(LoginAttempt.id == attempt.id).execute())
    if user is None:
        return LoginResult(None, refusal or WRONG)
    return LoginResult(sessions.start(user, address, user_agent, remember), "")


def history(user_id=None, limit=100):
    """Login attempts, the latest first: of one user (tries of their user name) or all."""
    query = LoginAttempt.select().order_by(LoginAttempt.id.desc()).limit(max(1, int(limit)))
    if user_id is not None:
        query = query.where(LoginAttempt.user == int(user_id))
    return list(query)
