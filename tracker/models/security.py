"""Login sessions and login attempts (issue "Accounts, sessions and hardening").

A :class:`UserSession` is one login: its random key travels in the session cookie and the
remember-me cookie as "<user id>:<key>"; only a SHA-256 of the key is stored, so a copy of
the table cannot be replayed as a cookie. A :class:`LoginAttempt` is one try at the login
form (kept for the login history and for throttling)."""
import hashlib

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField

from .base import BaseModel, utcnow
from .core import User

ATTEMPT_OUTCOMES = {"success": "成功", "failure": "失败", "locked": "已锁定（拒绝）",
                    "delayed": "过于频繁（拒绝）", "unlocked": "管理员解除锁定"}


def hash_key(key):
    """Hex SHA-256 of a session key (keys are 256-bit random: a plain hash is enough)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class UserSession(BaseModel):
    id = AutoField()
    key_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    address = CharField(max_length=64, default="")
    user_agent = CharField(max_length=255, default="")
    remember = BooleanField(default=False)
    ended_at = DateTimeField(null=True)
    end_reason = CharField(max_length=32, default="")

    class Meta:
        table_name = "user_session"
        indexes = ((("user", "ended_at"), False),)


class LoginAttempt(BaseModel):
    id = AutoField()
    username = CharField(max_length=64)  # as typed, normalised (known or not)
    user = ForeignKeyField(User, null=True, backref="login_attempts", on_delete="SET NULL")
    address = CharField(max_length=64, default="")
    user_agent = CharField(max_length=255, default="")
    outcome = CharField(max_length=16)  # success | failure | locked | delayed | unlocked
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "login_attempt"
        indexes = (
            (("username", "at"), False),
            (("address", "at"), False),
            (("user", "at"), False),
        )

    @property
    def outcome_label(self):
        return ATTEMPT_OUTCOMES.get(self.outcome, self.outcome)
