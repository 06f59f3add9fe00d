"""Accounts: who is logged in, checking a login, and creating a user (with memberships)."""
from dataclasses import dataclass

from peewee import IntegrityError

from ..domain import accounts as rules, text
from ..domain.errors import ValidationError
from ..models import ROLES, Membership, TaskForce, User
from . import audit, tx


def active_user(user_id):
    """The active user with this id (a session's user), or None."""
    try:
        return User.get_or_none((User.id == int(user_id)) & (User.active == True))  # noqa: E712
    except (TypeError, ValueError, OverflowError):
        return None


def authenticate(username, password):
    """The active user with this username and password, or None.

    ``username`` is normalised like every stored text (NFKC, spaces trimmed); one that could
    never be stored (NUL, over 64 characters) matches no one without asking the database.
    """
    username, error = rules.clean_username(username)
    if error or text.has_nul(password):
        return None
    user = User.get_or_none(User.username == username)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


@dataclass(frozen=True)
class NewUser:
    """A user to create, normalised and checked (see :func:`check_new_user`)."""
    username: str
    role: str
    display_name: str
    email: str
    task_force_codes: tuple


def check_new_user(username, role="member", display_name="", email="", task_force_codes=()):
    """The normalised :class:`NewUser`, or ValidationError (fields ``username``, ``role``,
    ``display_name``, ``email``, ``task_forces``). Reads only: a command calls it before
    asking for the password, and :func:`create_user` checks again inside its transaction."""
    errors = {}
    name, error = rules.clean_username(username)
    if error:
        errors["username"] = error
    if role not in ROLES:
        errors["role"] = f"角色无效：{role!r}（可选 {', '.join(ROLES)}）。"
    display, error = rules.clean_display_name(display_name)
    if error:
        errors["display_name"] = error
    address, error = rules.clean_email(email)
    if error:
        errors["email"] = error
    codes = tuple(dict.fromkeys(str(c).strip() for c in task_force_codes))
    if errors:
        raise ValidationError(errors)
    new = NewUser(name, role, display or name, address, codes)
    _task_forces(new, lock=False)
    _refuse_taken(new.username)
    return new


def _task_forces(new, lock):
    query = TaskForce.select().where(TaskForce.code.in_(new.task_force_codes or ("",)))
    teams = tx.lock_all(query) if lock else list(query)
    known = {t.code for t in teams}
    missing = [c for c in new.task_force_codes if c not in known]
    if missing:
        raise ValidationError({"task_forces": f"专班代码不存在：{', '.join(missing)}"
                                              f"（unknown task force: {missing[0]!r}）。"})
    return teams


def _refuse_taken(username):
    if User.select().where(User.username == username).exists():
        raise ValidationError({"username": f"用户名已存在（user {username!r} already exists）。"})


def create_user(actor, password, **fields):
    """Create a user and its task-force memberships in one transaction, with one audit row.
    ``fields``: those of :func:`check_new_user`. Raises ValidationError; nothing is written."""
    new = check_new_user(**fields)
    error = rules.password_error(password)
    if error:
        raise ValidationError({"password": error})
    try:
        with tx.write():
            teams = _task_forces(new, lock=True)  # the write lock first (task forces kept)
            _refuse_taken(new.username)
            user = User(username=new.username, role=new.role, display_name=new.display_name,
                        email=new.email)
            user.set_password(password)
            user.save()
            for team in teams:
                Membership.create(user=user, task_force=team)
            audit.record(actor, "user", user.id, "create", None, {
                "username": user.username, "role": user.role, "display_name": user.display_name,
                "email": user.email, "task_forces": sorted(t.code for t in teams)})
    except IntegrityError as exc:  # a simultaneous create of the same name won the unique key
        raise ValidationError({"username": f"用户名已存在（user {new.username!r} already exists）。"}) from exc
    return user
