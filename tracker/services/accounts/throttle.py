"""Login throttling and login history (issues "Accounts, sessions and hardening" and 23).

Every try at the login form is a ``login_attempt`` row, so the limits hold across worker
processes. Within LOGIN_WINDOW_MINUTES (15):
- LOGIN_ACCOUNT_LIMIT (5) failures for one user name *from one address* lock that pair for
  LOGIN_LOCKOUT_MINUTES (15), even with the right password: an outsider elsewhere cannot
  lock the real user out;
- failures for one user name from any address only slow it down: from the
  LOGIN_NAME_DELAY_AFTER-th (5) on, the next try is judged only LOGIN_NAME_DELAY_SECONDS
  (2) after the latest failure, doubling with each further failure up to
  LOGIN_NAME_DELAY_MAX_SECONDS (60); an earlier try is refused ("delayed", not a failure).
  An address the name logged in from within LOGIN_TRUSTED_DAYS (30) is not slowed;
- LOGIN_ADDRESS_LIMIT (100) failures from one address (any names) lock the address: high
  enough for an office behind one NAT address.
A success, or an admin lifting the lock (:func:`unlock`, an "unlocked" row), clears the
name's counts (the address count stays). Names are counted whether or not such a user
exists, so a refusal tells nothing about which names are real.

A try is recorded *before* the password is checked ("pending", counted like a failure) and
then given its outcome: simultaneous tries in several workers see each other, so a burst
gets exactly LOGIN_ACCOUNT_LIMIT guesses at one name through. The limits come as
:class:`Limits` (``limits_from(config)``, built by the edge from the app's config).
"""
import contextlib
import datetime
import hashlib
import math
from dataclasses import dataclass

from peewee import fn

from ...config import setting
from ...db import backend_name, database
from ...domain import accounts as rules
from ...models import LoginAttempt, User
from ...models.base import utcnow
from .. import audit, tx
from . import users, sessions

SETTINGS = ("LOGIN_ACCOUNT_LIMIT", "LOGIN_ADDRESS_LIMIT", "LOGIN_WINDOW_MINUTES",
            "LOGIN_LOCKOUT_MINUTES", "LOGIN_NAME_DELAY_AFTER", "LOGIN_NAME_DELAY_SECONDS",
            "LOGIN_NAME_DELAY_MAX_SECONDS", "LOGIN_TRUSTED_DAYS")
COUNTED = ("failure", "pending")
RESETS = ("success", "unlocked")
WRONG = "用户名或密码错误。"
ACCOUNT_LOCKED = "该账号在本机登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。"
ADDRESS_LOCKED = "本机地址登录失败次数过多，已暂时限制登录，请 {minutes} 分钟后再试。"
DELAYED = "该账号近期登录失败较多，为防止猜测密码，请 {seconds} 秒后再试。"


@dataclass(frozen=True)
class Limits:
    account: int
    address: int
    window: datetime.timedelta
    lockout: datetime.timedelta
    delay_after: int = 5
    delay: datetime.timedelta = datetime.timedelta(seconds=2)
    delay_max: datetime.timedelta = datetime.timedelta(seconds=60)
    trusted: datetime.timedelta = datetime.timedelta(days=30)

    def spacing(self, failures):
        """How long after the latest of ``failures`` the name's next try waits (0: none)."""
        if failures < self.delay_after:
            return datetime.timedelta(0)
        return min(self.delay_max, self.delay * 2 ** min(failures - self.delay_after, 30))


def limits_from(config):
    value = {k: int(setting(config, k)) for k in SETTINGS}
    return Limits(value["LOGIN_ACCOUNT_LIMIT"], value["LOGIN_ADDRESS_LIMIT"],
                  datetime.timedelta(minutes=value["LOGIN_WINDOW_MINUTES"]),
                  datetime.timedelta(minutes=value["LOGIN_LOCKOUT_MINUTES"]),
                  max(1, value["LOGIN_NAME_DELAY_AFTER"]),
                  datetime.timedelta(seconds=value["LOGIN_NAME_DELAY_SECONDS"]),
                  datetime.timedelta(seconds=value["LOGIN_NAME_DELAY_MAX_SECONDS"]),
                  datetime.timedelta(days=value["LOGIN_TRUSTED_DAYS"]))


def locked_until(times, limit, window, lockout):
    """End of the latest lockout among failure ``times`` (ascending), or None: a lockout
    starts at the failure that makes ``limit`` failures within ``window``."""
    until = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window:
            until = times[i] + lockout
    return until


def _failures(where, before_id, since):
    """(at, address) of the counted tries matching ``where`` before row ``before_id``."""
    query = (LoginAttempt.select(LoginAttempt.at, LoginAttempt.address)
             .where(where & LoginAttempt.outcome.in_(COUNTED) & (LoginAttempt.at >= since)
                    & (LoginAttempt.id < before_id))
             .order_by(LoginAttempt.at, LoginAttempt.id).tuples())
    return list(query)


def _last_reset(username, before_id):
    return (LoginAttempt.select(fn.MAX(LoginAttempt.id))
            .where((LoginAttempt.username == username) & LoginAttempt.outcome.in_(RESETS)
                   & (LoginAttempt.id < before_id)).scalar()) or 0


def _trusted(username, address, before_id, limits, now):
    return bool(address) and LoginAttempt.select().where(
        (LoginAttempt.username == username) & (LoginAttempt.address == address)
        & (LoginAttempt.outcome == "success") & (LoginAttempt.at >= now - limits.trusted)
        & (LoginAttempt.id < before_id)).exists()


def _minutes(until, now):
    return max(1, -(-int((until - now).total_seconds()) // 60))


def lock_message(username, address, before_id, limits, now):
    """``(outcome, refusal)`` for a try (row ``before_id``) now: ("locked" | "delayed",
    message), or (None, None) when it may go ahead."""
    since = now - limits.window - limits.lockout
    name = ((LoginAttempt.username == username)
            & (LoginAttempt.id > _last_reset(username, before_id)))
    checks = ((ACCOUNT_LOCKED, limits.account, name & (LoginAttempt.address == address)),
              (ADDRESS_LOCKED, limits.address, LoginAttempt.address == address))
    for message, limit, where in checks:
        times = [at for at, _ in _failures(where, before_id, since)]
        until = locked_until(times, limit, limits.window, limits.lockout)
        if until is not None and until > now:
            return "locked", message.format(minutes=_minutes(until, now))
    times = [at for at, _ in _failures(name, before_id, now - limits.window)]
    if times and not _trusted(username, address, before_id, limits, now):
        wait = times[-1] + limits.spacing(len(times)) - now
        if wait > datetime.timedelta(0):
            return "delayed", DELAYED.format(seconds=max(1, math.ceil(wait.total_seconds())))
    return None, None


@contextlib.contextmanager
def _serialised(name):
    """One transaction in which a try at ``name`` is recorded and judged, one name at a
    time: the try before it is committed (visible) when it counts, so a burst is judged in
    order. SQLite: BEGIN IMMEDIATE already serialises; PostgreSQL: a transaction advisory
    lock; MariaDB: a named lock, released after the commit. The password check runs after
    it, outside."""
    key = hashlib.sha256(("tracker-login:" + name).encode("utf-8")).hexdigest()
    backend = backend_name()
    try:
        with tx.write():
            if backend == "postgresql":
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (int(key[:15], 16),))
            elif backend == "mysql":
                database.execute_sql("SELECT GET_LOCK(%s, 10)", (f"tracker-login-{key[:40]}",))
            yield
    finally:
        if backend == "mysql":
            database.execute_sql("SELECT RELEASE_LOCK(%s)", (f"tracker-login-{key[:40]}",))


@dataclass(frozen=True)
class LoginResult:
    user: object  # the logged-in user bound to a new session, or None
    error: str    # the message to show when refused


def log_in(username, password, address="", user_agent="", remember=False, limits=None,
           hash_method=None):
    """One try at the login form: refused while the (name, address) pair or the address
    is locked out or the name's spacing has not passed, else the password is checked (the
    same cost for unknown names, PASSWORD_HASH_METHOD ``hash_method``) and, when right, a
    new session starts. Every try is recorded with its outcome. ``limits``: Limits (the
    defaults when left out)."""
    limits = limits or limits_from({})
    name, _ = rules.clean_username(username)
    name, address, user_agent = (name or "")[:64], (address or "")[:64], (user_agent or "")[:255]
    with _serialised(name):
        attempt = LoginAttempt.create(username=name, address=address, user_agent=user_agent,
                                      outcome="pending", at=utcnow())
        refused, refusal = lock_message(name, address, attempt.id, limits, utcnow())
    user = None if refused else users.authenticate(username, password, hash_method=hash_method)
    outcome = refused or ("success" if user else "failure")
    known = user.id if user else User.select(User.id).where(User.username == name).scalar()
    (LoginAttempt.update(outcome=outcome, user=known)
     .where(LoginAttempt.id == attempt.id).execute())
    if user is None:
        return LoginResult(None, refusal or WRONG)
    return LoginResult(sessions.start(user, address, user_agent, remember), "")


@dataclass(frozen=True)
class LockState:
    pairs: list          # [(address, locked until)] of the name's locked addresses
    delayed_until: object  # when the name's next try from an untrusted address is judged
    failures: int        # the name's failures within the window

    @property
    def locked(self):
        return bool(self.pairs) or self.delayed_until is not None


def lock_state(username, limits=None, now=None):
    """The throttling that holds for the user name ``username`` now (for the admin page)."""
    limits, now = limits or limits_from({}), now or utcnow()
    top = (LoginAttempt.select(fn.MAX(LoginAttempt.id)).scalar() or 0) + 1
    name = (LoginAttempt.username == username) & (LoginAttempt.id > _last_reset(username, top))
    rows = _failures(name, top, now - limits.window - limits.lockout)
    pairs = []
    for address in sorted({a for _, a in rows}):
        times = [at for at, a in rows if a == address]
        until = locked_until(times, limits.account, limits.window, limits.lockout)
        if until is not None and until > now:
            pairs.append((address, until))
    recent = [at for at, _ in rows if at >= now - limits.window]
    delayed = recent[-1] + limits.spacing(len(recent)) if recent else None
    return LockState(pairs, delayed if delayed and delayed > now else None, len(recent))


def unlock(actor, user_id, limits=None):
    """Lift the lockouts and the spacing of the user's name (an admin, from the account
    page): an "unlocked" row clears the name's counts like a success; one audit row."""
    with tx.write():
        user = tx.lock(User, User.id == int(user_id), missing=f"用户「{user_id}」不存在。")
        state = lock_state(user.username, limits)
        LoginAttempt.create(username=user.username, user=user, outcome="unlocked", at=utcnow())
        audit.record(actor, "user", user.id, "unlock",
                     {"locked_addresses": [a for a, _ in state.pairs],
                      "failures": state.failures}, {"locked_addresses": [], "failures": 0})
    return user


def history(user_id=None, limit=100):
    """Login attempts, the latest first: of one user (tries of their user name) or all."""
    query = LoginAttempt.select().order_by(LoginAttempt.id.desc()).limit(max(1, int(limit)))
    if user_id is not None:
        query = query.where(LoginAttempt.user == int(user_id))
    return list(query)
