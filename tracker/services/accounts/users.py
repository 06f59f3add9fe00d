"""Accounts: who is logged in, checking a login, creating, editing, deactivating and
reactivating a user (with memberships), resetting and changing a password.

Every change follows the write path (docs/design.md): one transaction that locks the user
row first, normalised input, one audit row with before -> after (never a password or hash).
A user is named by id (``int``, the pages) or by username (``str``, the commands).
"""
import secrets
from dataclasses import dataclass

from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ...domain import accounts as rules, text
from ...domain.errors import NotFound, ValidationError
from ...domain.accounts import ROLES
from ...models import ApiToken, Membership, TaskForce, User, utcnow
from .. import audit, dataversion, tx
from . import sessions


def active_user(user_id):
    """The active user with this id (a session's user), or None."""
    try:
        return User.get_or_none((User.id == int(user_id)) & (User.active == True))  # noqa: E712
    except (TypeError, ValueError, OverflowError):
        return None


def hash_method_from(config):
    """PASSWORD_HASH_METHOD of a config mapping (None: werkzeug's default, scrypt)."""
    return config.get("PASSWORD_HASH_METHOD") or None


def authenticate(username, password, *, hash_method=None):
    """The active user with this username and password, or None.

    ``username`` is cleaned like a stored user name (an identifier: NFKC, spaces trimmed;
    domain.accounts); one that could never be stored (NUL, over 64 characters) matches no
    one without asking the database.
    ``hash_method``: the configured PASSWORD_HASH_METHOD (``hash_method_from``), which an
    unknown name's check costs too.
    """
    username, error = rules.clean_username(username)
    if error or text.has_nul(password):
        return None
    user = User.get_or_none(User.username == username)
    if user is None:  # the same hash time as a known name: timing tells no names
        check_password_hash(_dummy_hash(hash_method), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


_DUMMY_HASHES = {}


def _dummy_hash(method):
    """A hash of a random password made with PASSWORD_HASH_METHOD ``method`` (once per
    method, as User.set_password hashes), checked for unknown names so they cost what a
    known name costs."""
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(
            secrets.token_urlsafe(16), **({"method": method} if method else {}))
    return _DUMMY_HASHES[method]


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
        raise ValidationError({"task_forces": f"专班代码不存在：{'、'.join(missing)}。"})
    return teams


def _refuse_taken(username):
    if User.select().where(User.username == username).exists():
        raise ValidationError({"username": f"用户名「{username}」已存在，请换一个。"})


def password_min_score_from(config):
    """PASSWORD_MIN_SCORE of a config mapping (zxcvbn's 0-4; domain.passwords)."""
    value = config.get("PASSWORD_MIN_SCORE")
    return rules.PASSWORD_MIN_SCORE if value is None else min(4, max(0, int(value)))


def create_user(actor, password, must_change_password=False, min_score=rules.PASSWORD_MIN_SCORE,
                **fields):
    """Create a user and its task-force memberships in one transaction, with one audit row.
    ``fields``: those of :func:`check_new_user`; ``min_score``: PASSWORD_MIN_SCORE. Raises
    ValidationError; nothing is written."""
    new = check_new_user(**fields)
    error = rules.password_error(password, new.username, min_score=min_score,
                                 user_inputs=(new.display_name, new.email))
    if error:
        raise ValidationError({"password": error})
    try:
        with tx.write():
            teams = _task_forces(new, lock=True)  # the write lock first (task forces kept)
            _refuse_taken(new.username)
            user = User(username=new.username, role=new.role, display_name=new.display_name,
                        email=new.email, must_change_password=bool(must_change_password))
            user.set_password(password)
            user.save()
            for team in teams:
                Membership.create(user=user, task_force=team)
            audit.record(actor, "user", user.id, "create", None, {
                "username": user.username, "role": user.role, "display_name": user.display_name,
                "email": user.email, "task_forces": sorted(t.code for t in teams),
                "must_change": user.must_change_password})
            dataversion.changed()
    except IntegrityError as exc:  # a simultaneous create of the same name won the unique key
        raise ValidationError({"username": f"用户名「{new.username}」已存在，请换一个。"}) from exc
    return user


def create_account(actor, **fields):
    """Create a user (``fields`` of :func:`check_new_user`) with a temporary password, which
    the user must change at the first login: ``(user, temporary password)`` (show it once)."""
    password = temporary_password()
    return create_user(actor, password, must_change_password=True, **fields), password


# --- reading ----------------------------------------------------------------------------

def task_force_choices():
    """``[(code, label)]`` of every task force, by code, for a membership picker."""
    return [(t.code, f"{t.code} {t.name}" + ("" if t.active else "（已停用）"))
            for t in TaskForce.select().order_by(TaskForce.code)]


def _with_codes(users):
    codes = {}
    query = (Membership.select(Membership.user, TaskForce.code).join(TaskForce)
             .where(Membership.user.in_([u.id for u in users] or [0]))
             .order_by(TaskForce.code).tuples())
    for user_id, code in query:
        codes.setdefault(user_id, []).append(code)
    for user in users:
        user.team_codes = codes.get(user.id, [])
    return users


def list_users():
    """Every user, by username, each with ``team_codes`` (its task forces' codes)."""
    return _with_codes(list(User.select().order_by(User.username)))


def get_user(user):
    """The user (id or username) with ``team_codes``; NotFound when there is none."""
    found = User.get_or_none(_where(user)[0])
    if found is None:
        raise NotFound(_missing(user))
    return _with_codes([found])[0]


# --- changes ----------------------------------------------------------------------------

_TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


def temporary_password():
    """16 random letters and digits (about 93 bits), without look-alikes (0/O, 1/l/I)."""
    return "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(16))


def _missing(user):
    return f"用户「{user}」不存在。"


def _where(user):
    """(condition, matches(row)) for a user named by id or by username."""
    if isinstance(user, int) and not isinstance(user, bool):
        if not 0 < user < 2**31:
            raise NotFound(_missing(user))
        return User.id == user, lambda row: row.id == user
    name, error = rules.clean_username(user)
    if error:
        raise NotFound(_missing(user))
    # casefold: MySQL's collation compares names case-insensitively
    return User.username == name, lambda row: row.username.casefold() == name.casefold()


def _lock(user):
    condition, _ = _where(user)
    return tx.lock(User, condition, missing=_missing(user))


def _lock_with_admins(user):
    """The user, locked together with every active admin (one statement, id order): a change
    of role or state can then make sure one active admin remains."""
    condition, matches = _where(user)
    rows = tx.lock_all(User.select().where(
        condition | ((User.role == "admin") & (User.active == True))))  # noqa: E712
    target = next((row for row in rows if matches(row)), None)
    if target is None:
        raise NotFound(_missing(user))
    return target, [row for row in rows if row.id != target.id]


def _keep_an_admin(target, others, field):
    if not (target.role == "admin" and target.active) and not others:
        raise ValidationError({field: "至少要保留一名启用的管理员。"})


def _state(user):
    return {"username": user.username, "display_name": user.display_name, "email": user.email,
            "role": user.role, "active": user.active,
            "must_change": user.must_change_password,
            "task_forces": sorted(user.team_codes)}


def _check_edit(display_name, email, role, task_force_codes):
    errors, values = {}, {}
    for key, value, clean in (("display_name", display_name, rules.clean_display_name),
                              ("email", email, rules.clean_email)):
        if value is not None:
            values[key], error = clean(value)
            if error:
                errors[key] = error
    if role is not None:
        values["role"] = role
        if role not in ROLES:
            errors["role"] = f"角色无效：{role!r}（可选 {', '.join(ROLES)}）。"
    if task_force_codes is not None:
        values["task_forces"] = tuple(dict.fromkeys(str(c).strip() for c in task_force_codes))
    if errors:
        raise ValidationError(errors)
    return values


def edit_user(actor, user, *, display_name=None, email=None, role=None, task_force_codes=None):
    """Change a user's display name, e-mail, role and task forces (``None``: unchanged; the
    codes replace the memberships). One audit row of the changed values; returns the user."""
    values = _check_edit(display_name, email, role, task_force_codes)
    with tx.write():
        target, others = _lock_with_admins(user)
        _with_codes([target])
        before = _state(target)
        codes = values.pop("task_forces", None)
        if codes is not None:
            teams = _task_forces(NewUser("", "", "", "", codes), lock=False)
            target.team_codes = sorted(t.code for t in teams)
        for key, value in values.items():
            setattr(target, key, value)
        target.display_name = target.display_name or target.username
        if actor is not None and actor.id == target.id and target.role != "admin":
            raise ValidationError({"role": "不能取消自己的管理员角色。"})
        _keep_an_admin(target, others, "role")
        old, new = audit.changed(before, _state(target))
        if new:
            target.save(only=[User.display_name, User.email, User.role])
            if "task_forces" in new:
                _set_memberships(target, teams)
            audit.record(actor, "user", target.id, "edit", old, new)
            dataversion.changed()   # names and teams are on pages remembered per version
    return target


def _set_memberships(user, teams):
    wanted = {t.id for t in teams}
    Membership.delete().where((Membership.user == user.id)
                              & Membership.task_force.not_in(wanted or {0})).execute()
    have = {m.task_force_id for m in Membership.select().where(Membership.user == user.id)}
    for team_id in sorted(wanted - have):
        Membership.create(user=user.id, task_force=team_id)


def set_active(actor, user, active):
    """Deactivate (``False``: no login, no session from now on, every API token revoked in
    the same transaction, for good) or reactivate a user, with one audit row. An admin
    cannot deactivate themself or the last admin."""
    active = bool(active)
    with tx.write():
        target, others = _lock_with_admins(user)
        if target.active == active:
            raise ValidationError({"active": "该账号已是启用状态。" if active else "该账号已停用。"})
        if not active and actor is not None and actor.id == target.id:
            raise ValidationError({"active": "不能停用自己的账号。"})
        target.active = active
        _keep_an_admin(target, others, "active")
        target.save(only=[User.active])
        after = {"active": active}
        if not active:  # tokens stay revoked when the user is reactivated
            after["sessions_ended"] = sessions.end_all(target.id, "deactivated")
            after["api_revoked"] = (
                ApiToken.update(revoked_at=utcnow())
                .where((ApiToken.user == target.id) & ApiToken.revoked_at.is_null()).execute())
        audit.record(actor, "user", target.id, "activate" if active else "deactivate",
                     {"active": not active}, after)
        dataversion.changed()
    return target


def reset_password(actor, user):
    """Give a user a new temporary password, which they must change at the next login:
    ``(user, temporary password)`` (show it once). The audit row holds no password."""
    password = temporary_password()
    with tx.write():
        target = _lock(user)
        before = target.must_change_password
        target.set_password(password)
        target.must_change_password = True
        target.save(only=[User.password_hash, User.must_change_password])
        sessions.end_all(target.id, "password_reset")
        audit.record(actor, "user", target.id, "reset_password",
                     {"must_change": before}, {"must_change": True})
    return target, password


def change_password(user_id, current, new, keep_session=None,
                    min_score=rules.PASSWORD_MIN_SCORE):
    """The user ``user_id`` changes their own password: ``current`` must be right, ``new``
    must pass the policy (domain.accounts.password_error, ``min_score``: PASSWORD_MIN_SCORE)
    and differ from it. Clears
    ``must_change_password`` and ends the user's other sessions (``keep_session``: the key
    of the session making the change, left alive); one audit row (without either password).
    Returns the user."""
    with tx.write():
        target = _lock(user_id)
        if not target.active:
            raise NotFound(_missing(user_id))
        if text.has_nul(current) or not target.check_password(current or ""):
            raise ValidationError({"current_password": "当前密码不正确。"})
        error = rules.password_error(new, target.username, min_score=min_score,
                                     user_inputs=(target.display_name, target.email))
        if error is None and new == current:
            error = "新密码不能与当前密码相同。"
        if error:
            raise ValidationError({"new_password": error})
        before = target.must_change_password
        target.set_password(new)
        target.must_change_password = False
        target.save(only=[User.password_hash, User.must_change_password])
        sessions.end_all(target.id, "password_changed", keep=keep_session)
        audit.record(target, "user", target.id, "change_password",
                     {"must_change": before}, {"must_change": False})
    return target
