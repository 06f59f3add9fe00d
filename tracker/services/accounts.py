"""Accounts: who is logged in, and checking a login."""
from ..models import User


def active_user(user_id):
    """The active user with this id (a session's user), or None."""
    try:
        return User.get_or_none((User.id == int(user_id)) & (User.active == True))  # noqa: E712
    except (TypeError, ValueError, OverflowError):
        return None


def authenticate(username, password):
    """The active user with this username and password, or None."""
    user = User.get_or_none(User.username == username)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user
