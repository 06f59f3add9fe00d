"""Login sessions: one server-side row per login (issue "Accounts, sessions and hardening").

Flask-Login stores ``user.get_id()`` in the session cookie and in the remember-me cookie;
for a user loaded or logged in here that is "<user id>:<session key>", so both cookies name
one row of ``user_session``. :func:`load` (the user_loader) accepts only a live row of an
active user: not ended (logout, "sign out everywhere", deactivation, password change), not
idle for longer than SESSION_IDLE_MINUTES, not older than REMEMBER_COOKIE_DURATION (at most
30 days). ``last_seen_at`` is written at most once a minute. Logout, ending one session and
ending them all (the user's or an admin's) each write one audit row (issue 23). The limits come as a
:class:`Policy` (``policy_from(config)``, built by the edge from the app's config).
"""
import datetime
import re
import secrets
from dataclasses import dataclass

from ...models import User, UserSession, utcnow
from ...models.security import hash_key
from ...domain.errors import NotFound
from .. import audit, tx
from ..compiled import Compiled

MAX_AGE = datetime.timedelta(days=30)       # no session (remembered or not) lives longer
DEFAULT_IDLE_MINUTES = 480
TOUCH_EVERY = datetime.timedelta(minutes=1)
_COOKIE_ID = re.compile(r"([1-9][0-9]{0,9}):([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Policy:
    idle: datetime.timedelta
    max_age: datetime.timedelta


def policy_from(config):
    """Idle limit (SESSION_IDLE_MINUTES) and largest age (REMEMBER_COOKIE_DURATION, capped
    at 30 days) of a session."""
    idle = config.get("SESSION_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES
    age = config.get("REMEMBER_COOKIE_DURATION") or MAX_AGE
    if not isinstance(age, datetime.timedelta):
        age = datetime.timedelta(seconds=float(age))
    return Policy(datetime.timedelta(minutes=float(idle)), min(age, MAX_AGE))


DEFAULT_POLICY = policy_from({})


def cookie_id(user_id, key):
    return f"{user_id}:{key}"


def parse(value):
    """(user id, key) of a cookie id "<user id>:<key>", or None for anything else (an old
    cookie holding a bare user id included)."""
    match = _COOKIE_ID.fullmatch(value) if isinstance(value, str) else None
    return (int(match.group(1)), match.group(2)) if match else None


def _bind(user, key):
    """The user of the session ``key``: ``get_id()`` names the session, not only the user."""
    user.session_key = key
    user.get_id = lambda: cookie_id(user.id, key)
    return user


def start(user, address="", user_agent="", remember=False):
    """A new session row for ``user`` (a fresh random key per login); returns the user
    bound to it (pass it to ``login_user``)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    UserSession.create(key_hash=hash_key(key), user=user, created_at=now, last_seen_at=now,
                       address=(address or "")[:64], user_agent=(user_agent or "")[:255],
                       remember=bool(remember))
    return _bind(user, key)


# The lookup of every request: the live session row named by the key (and user id) with its
# active user, in one query whose SQL is built once (services.compiled).
_LIVE = Compiled(lambda key_hash, user_id: (
    UserSession.select(UserSession.id, UserSession.created_at, UserSession.last_seen_at, User)
    .join(User)
    .where((UserSession.key_hash == key_hash) & (UserSession.user == user_id)
           & UserSession.ended_at.is_null() & (User.active == True))  # noqa: E712
    .limit(1)), arity=2)


def load(cookie_value, policy=None, now=None):
    """The active user of a live session named by ``cookie_value``, or None. A session found
    idle or too old is ended on the spot."""
    parsed = parse(cookie_value)
    if parsed is None:
        return None
    user_id, key = parsed
    row = _LIVE.first(hash_key(key), user_id)
    if row is None:
        return None
    policy, now = policy or DEFAULT_POLICY, now or utcnow()
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.max_age:
        _end(UserSession.id == row.id, "idle" if now - row.last_seen_at > policy.idle
             else "expired", now)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:   # advisory: never waits on a long import
        tx.advisory(UserSession.update(last_seen_at=now)
                    .where((UserSession.id == row.id) & UserSession.ended_at.is_null()))
    return _bind(row.user, key)


def _end(where, reason, now=None):
    return (UserSession.update(ended_at=now or utcnow(), end_reason=reason[:32])
            .where(where & UserSession.ended_at.is_null()).execute())


def _end_audited(actor, where, reason):
    """End the live session matching ``where`` (locked first), with one audit row; 0 or 1."""
    with tx.write():
        try:
            row = tx.lock(UserSession, where & UserSession.ended_at.is_null())
        except NotFound:
            return 0
        now = utcnow()
        ended = _end(UserSession.id == row.id, reason, now)
        audit.record(actor, "user_session", row.id, "end", {"ended_at": None},
                     {"ended_at": now, "reason": reason[:32], "user": row.user_id})
    return ended


def end(user, reason="logout"):
    """End the session ``user`` was loaded with (logout), with one audit row. Returns the
    rows ended (0 or 1)."""
    key = getattr(user, "session_key", None)
    return _end_audited(user, UserSession.key_hash == hash_key(key), reason) if key else 0


def end_all(user_id, reason, keep=None):
    """End every live session of the user (sign out everywhere, deactivation, password
    change); ``keep``: a session key left alive. Returns the number ended. Call it inside
    the caller's transaction so the change and the logout commit together."""
    where = UserSession.user == int(user_id)
    if keep:
        where &= UserSession.key_hash != hash_key(keep)
    return _end(where, reason)


def end_one(user_id, session_id, reason="ended_by_user", actor=None):
    """End one session of the user (a row of the sessions page), with one audit row
    (``actor``: who did it, the user when left out); 0 when it is not theirs."""
    actor = actor or User.get_or_none(User.id == int(user_id))
    return _end_audited(actor, (UserSession.user == int(user_id))
                        & (UserSession.id == int(session_id)), reason)


def end_everywhere(actor, user_id, reason):
    """End every live session of the user (the user's "sign out everywhere", an admin's
    "end all sessions"), with one audit row, the user row locked first. Returns the number
    ended; NotFound for no such user."""
    with tx.write():
        user = tx.lock(User, User.id == int(user_id), missing=f"用户「{user_id}」不存在。")
        ended = end_all(user.id, reason)
        audit.record(actor or user, "user", user.id, "end_sessions", {"live_sessions": ended},
                     {"live_sessions": 0, "reason": reason[:32]})
    return ended


@dataclass(frozen=True)
class SessionInfo:
    id: int
    created_at: datetime.datetime
    last_seen_at: datetime.datetime
    address: str
    user_agent: str
    remember: bool
    current: bool


def live(user_id, current_key=None, policy=None, now=None):
    """The user's live sessions, the latest used first (``current``: the one of
    ``current_key``)."""
    policy, now = policy or DEFAULT_POLICY, now or utcnow()
    rows = (UserSession.select()
            .where((UserSession.user == int(user_id)) & UserSession.ended_at.is_null()
                   & (UserSession.last_seen_at >= now - policy.idle)
                   & (UserSession.created_at >= now - policy.max_age))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    mine = hash_key(current_key) if current_key else None
    return [SessionInfo(r.id, r.created_at, r.last_seen_at, r.address, r.user_agent,
                        r.remember, r.key_hash == mine) for r in rows]
