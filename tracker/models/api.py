"""API tokens: bearer tokens for the JSON API, stored only as a SHA-256 hash."""
import hashlib
import secrets

from peewee import AutoField, CharField, DateField, DateTimeField, ForeignKeyField

from .base import BaseModel, utcnow
from .core import User

TOKEN_PREFIX = "trk_"


def hash_token(token):
    """Hex SHA-256 of a token. Tokens are 256-bit random, so a plain hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    name = CharField(max_length=64, default="")
    token_hash = CharField(max_length=64, unique=True)
    hint = CharField(max_length=16)  # first characters of the token, to recognise it in lists
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    # Last day the token is accepted (Asia/Shanghai); None: no expiry.
    expires_at = DateField(null=True)

    @classmethod
    def issue(cls, user, name="", expires_at=None):
        """Create a token for ``user``; returns (row, plain token). The plain token is
        never stored: show it once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.create(user=user, name=name, token_hash=hash_token(token),
                         hint=token[:len(TOKEN_PREFIX) + 6], expires_at=expires_at)
        return row, token

    @classmethod
    def lookup(cls, token):
        """The active token row matching ``token`` (with an active user), or None."""
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        return (cls.select(cls, User).join(User)
                .where((cls.token_hash == hash_token(token)) & cls.revoked_at.is_null()
                       & (User.active == True))  # noqa: E712
                .first())

    @property
    def active(self):
        return self.revoked_at is None
