"""Whether a user gets the weekly summary and 督办 reminders (by e-mail, by the team robot's
@): the preferences page, and the signed one-click unsubscribe link (tokens in
``tracker.services.mail.unsubscribe``; ``signer``: its Signer, built by the edge from the
app's config)."""
from ...domain import reminders
from ...domain.errors import NotFound, ValidationError
from ...models import User
from .. import audit, tx
from .unsubscribe import decode_token, issued_for

INVALID_LINK = "退订链接无效或已被篡改，请登录后在「周报与提醒设置」中修改。"
EXPIRED = "expired"      # the ValidationError key of an expired link
EXPIRED_LINK = ("此退订链接已过期（邮件中的退订链接自发出之日起一年内有效）。"
                "请登录后在「周报与提醒设置」中关闭周报邮件。")
MISSING_USER = "用户不存在。"


def subscriber(user_id):
    """The user whose preferences the page shows (NotFound when there is none)."""
    user = User.get_or_none(User.id == int(user_id))
    if user is None:
        raise NotFound(MISSING_USER)
    return user


def _set(user, wants, actor, action):
    """Write ``wants_summary`` of the locked ``user`` when it changes, with one audit row."""
    if user.wants_summary != wants:
        User.update(wants_summary=wants).where(User.id == user.id).execute()
        audit.record(actor or user, "user", user.id, action,
                     {"wants_summary": user.wants_summary}, {"wants_summary": wants})
        user.wants_summary = wants
    return user


def set_wants_summary(user_id, wants, action="summary_prefs"):
    """The user turns the weekly summary on or off (an unchanged value writes nothing).
    Returns the user as stored."""
    with tx.write():
        user = tx.lock_id(User, user_id, missing=MISSING_USER)
        return _set(user, bool(wants), user, action)


NEEDS_MOBILE = "允许专班群机器人@您时，请填写手机号码。"
PREF_FIELDS = ("wants_summary", "remind_email", "robot_mention", "mobile")


def _masked(mobile):
    """A mobile as the audit trail keeps it: 138****8000."""
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile else mobile


def _reminder_prefs(reminder):
    """The cleaned reminder part: {remind_email, robot_mention, mobile}; {} for None."""
    if reminder is None:
        return {}
    mobile, error = reminders.clean_mobile(reminder.get("mobile"))
    if error is None and reminder.get("robot_mention") and mobile is None:
        error = NEEDS_MOBILE
    if error:
        raise ValidationError({"mobile": error})
    return {"remind_email": bool(reminder.get("remind_email")),
            "robot_mention": bool(reminder.get("robot_mention")), "mobile": mobile}


def save_prefs(user_id, wants_summary, reminder=None):
    """The preferences page: the weekly summary and, in ``reminder`` ({remind_email,
    robot_mention, mobile}; None leaves them as they are: a page of the version before),
    督办 reminders by e-mail, whether the team's group robot may @ the user and the mobile it
    @s (tracker.domain.reminders.clean_mobile: stored as 11 digits, cleared when emptied;
    required to allow the @). One transaction, the user locked first, only the changed
    columns written, one audit row ("summary_prefs", the mobile masked); nothing written when
    nothing changed. Returns the user as stored; ValidationError {"mobile": ...} writes
    nothing."""
    wanted = dict(_reminder_prefs(reminder), wants_summary=bool(wants_summary))
    with tx.write():
        user = tx.lock_id(User, user_id, missing=MISSING_USER)
        old, new = audit.changed({name: getattr(user, name) for name in PREF_FIELDS}, wanted)
        if new:
            User.update(**new).where(User.id == user.id).execute()
            for name, value in new.items():
                setattr(user, name, value)
            if "mobile" in new:
                old["mobile"], new["mobile"] = _masked(old["mobile"]), _masked(new["mobile"])
            audit.record(user, "user", user.id, "summary_prefs", old, new)
    return user


def _decoded(token, signer):
    """The Decoded token; ValidationError (INVALID_LINK, or EXPIRED_LINK under EXPIRED)."""
    decoded = decode_token(token, signer)
    if decoded is None:
        raise ValidationError(INVALID_LINK)
    if decoded.expired:
        raise ValidationError({EXPIRED: EXPIRED_LINK})
    return decoded


def token_user(token, signer):
    """The user an unsubscribe link was issued for; ValidationError: INVALID_LINK when it
    is tampered, unknown or for an address the user no longer has, EXPIRED_LINK (key
    EXPIRED) when it is too old."""
    decoded = _decoded(token, signer)
    user = User.get_or_none(User.id == decoded.user_id)
    if not issued_for(user, decoded.tag):
        raise ValidationError(INVALID_LINK)
    return user


def unsubscribe(token, signer):
    """The one-click unsubscribe of a signed link (no login): the user it was issued
    for stops getting the summary. ValidationError as ``token_user`` when the link is
    not valid; nothing is written then."""
    decoded = _decoded(token, signer)
    with tx.write():
        try:
            user = tx.lock_id(User, decoded.user_id)
        except NotFound:
            raise ValidationError(INVALID_LINK) from None
        if not issued_for(user, decoded.tag):
            raise ValidationError(INVALID_LINK)
        return _set(user, False, user, "unsubscribe")
