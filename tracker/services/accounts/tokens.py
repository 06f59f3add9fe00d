"""API tokens: authenticate a bearer token, create, list and revoke tokens.

Only a token's SHA-256 hash is stored (``tracker.models.api``); the plain token is shown once,
when it is created. A token may carry an expiry date: the last day (Asia/Shanghai) on which
it is accepted; after that it is refused like a revoked one.
"""
from ... import clock
from ...domain import accounts as rules
from ...domain.errors import NotFound, ValidationError
from ...models import ApiToken, User, utcnow
from ...models.api import TOKEN_PREFIX, hash_token
from .. import audit, tx

TOKEN_MAX = 200


def authenticate(token):
    """The active user of the active, unexpired token ``token`` (its last-used time
    updated), or None."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) \
            or len(token) > TOKEN_MAX or "\x00" in token:
        return None
    digest = hash_token(token)
    try:
        with tx.write():
            row = tx.lock(ApiToken, (ApiToken.token_hash == digest) & ApiToken.revoked_at.is_null())
            if rules.token_expired(row.expires_at, clock.today()):
                return None
            user = User.get_or_none((User.id == row.user_id) & (User.active == True))  # noqa: E712
            if user is None:
                return None
            ApiToken.update(last_used_at=utcnow()).where(ApiToken.id == row.id).execute()
    except NotFound:
        return None
    return user


def _user(username, lock=False):
    missing = f"用户「{username}」不存在。"
    if lock:
        try:
            return tx.lock(User, User.username == username)
        except NotFound:
            raise ValidationError({"username": missing}) from None
    user = User.get_or_none(User.username == username)
    if user is None:
        raise ValidationError({"username": missing})
    return user


def create(username, label="", expires_at=None, actor=None):
    """A new token for the active user ``username``: ``(row, plain token)``, with one audit
    row. ``expires_at``: the last day it is accepted (None: no expiry). The plain token is
    not kept anywhere: show it once."""
    label, error = rules.clean_token_label(label)
    errors = {"name": error} if error else {}
    error = rules.token_expiry_error(expires_at, clock.today())
    if error:
        errors["expires_at"] = error
    if errors:
        raise ValidationError(errors)
    with tx.write():
        user = _user(username, lock=True)
        if not user.active:
            raise ValidationError({"username": f"用户「{username}」已停用。"})
        row, token = ApiToken.issue(user, name=label, expires_at=expires_at)
        audit.record(actor, "api_token", row.id, "create", None,
                     {"user": user.username, "name": row.name, "hint": row.hint,
                      "expires_at": expires_at})
    return row, token


def list_tokens(username=None):
    """Every token (or those of ``username``) with its user, oldest first."""
    query = ApiToken.select(ApiToken, User).join(User).order_by(ApiToken.id)
    if username:
        query = query.where(ApiToken.user == _user(username))
    return list(query)


def revoke(token_id, actor=None, owner_id=None):
    """Revoke token ``token_id`` (refused at once from then on), with one audit row; returns
    the token row with its user. With ``owner_id``, only a token of that user (another
    user's token is "not found", like a missing one)."""
    missing = f"API 令牌 #{token_id} 不存在。"
    if not isinstance(token_id, int) or not 0 < token_id < 2**31:
        raise NotFound(missing)
    with tx.write():
        row = tx.lock_id(ApiToken, token_id, missing=missing)
        if owner_id is not None and row.user_id != owner_id:
            raise NotFound(missing)
        if not row.active:
            raise ValidationError({"token_id": f"API 令牌 #{token_id} 已吊销。"})
        now = utcnow()
        ApiToken.update(revoked_at=now).where(ApiToken.id == row.id).execute()
        audit.record(actor, "api_token", row.id, "revoke", {"revoked_at": None},
                     {"revoked_at": now})
        row.revoked_at = now
        row.user = User.get_by_id(row.user_id)
    return row


def expired(row):
    """Is this token past its expiry date (today in Asia/Shanghai)?"""
    return rules.token_expired(row.expires_at, clock.today())
