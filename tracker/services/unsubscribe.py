"""Signed one-click unsubscribe links for the weekly summary (itsdangerous).

The token carries the user id and a digest of the address the mail went to, signed with the
app's SECRET_KEY under its own salt; it never expires (links in old mails keep
working, as RFC 8058 expects) and a token for an address the user no longer
has is refused.
"""
import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "tracker.summary-unsubscribe"


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user):
    return _serializer().dumps([user.id, _email_tag(user.email)])


def _email_tag(email):
    """Short digest of the address: binds the link to it without spelling it out."""
    return hashlib.sha256((email or "").strip().lower().encode("utf-8")).hexdigest()[:8]


def unsubscribe_url(user):
    return absolute_url("prefs.unsubscribe", token=make_token(user))


def unsubscribe_links():
    """unsubscribe_url for many users (one serializer and one URL adapter for all)."""
    serializer = _serializer()
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    adapter = current_app.url_map.bind("localhost")

    def link(user):
        token = serializer.dumps([user.id, _email_tag(user.email)])
        return base + adapter.build("prefs.unsubscribe", {"token": token})
    return link


def absolute_url(endpoint, **values):
    """BASE_URL + the endpoint's path; works outside requests (CLI, scheduler)."""
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path


def decode_token(token):
    """(user id, address digest) of a token signed by us, or None when it is
    tampered or malformed."""
    try:
        user_id, tag = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(tag, str):
        return None
    return user_id, tag


def issued_for(user, tag):
    """Whether a token with address digest ``tag`` was issued for the user's address."""
    return user is not None and _email_tag(user.email) == tag


def user_for_token(token):
    """The User the token was issued for, or None when it is tampered/unknown/stale."""
    from ..models import User
    decoded = decode_token(token)
    if decoded is None:
        return None
    user = User.get_or_none(User.id == decoded[0])
    return user if issued_for(user, decoded[1]) else None
