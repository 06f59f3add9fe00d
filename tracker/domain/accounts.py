"""Account rules: bounds and syntax of user names, display names, e-mail addresses and API
token labels (pure functions returning ``(value, error)`` like :func:`text.clean`), the
password policy and the expiry date of an API token.

A user name and an e-mail address are identifiers, matched as keys (the login, the commands'
``USERNAME`` argument, the import's 责任人, the unique column): they are cleaned with
:func:`text.clean_identifier`, so full-width letters and digits typed with a Chinese IME
fold to ASCII ("ｗａｎｇ" logs in as "wang") and no two accounts differ only in width. A
display name and a token label are prose, stored as typed (:func:`text.clean`)."""
import datetime
import functools
import re

from . import passwords, text

# The roles (account kinds) and their zh-CN names.
ROLES = {
    "admin": "管理员",
    "bureau": "商务局",
    "lead": "专班负责人",
    "member": "专班成员",
}
USERNAME_MAX = 64
DISPLAY_NAME_MAX = 64
EMAIL_MAX = 254
TOKEN_LABEL_MAX = 64
PASSWORD_MIN, PASSWORD_MAX = 10, 1024
COMMON_PASSWORDS_COUNT = 1000
PASSWORD_MIN_SCORE = 3  # zxcvbn's 0-4 (domain.passwords); PASSWORD_MIN_SCORE in the config
USERNAME_IN_PASSWORD_MIN = 3  # shorter names would rule out most passwords
TOKEN_EXPIRY_MAX_DAYS = 3 * 366  # an expiry further away is a typo (or no expiry at all)

# An ordinary address: dot-atom local part (RFC 5322 atext) @ a host name with a dot, every
# label 1-63 letters, digits or inner hyphens, the last one alphabetic (or punycode).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]+)")


def clean_username(value):
    return text.clean_identifier(value, label="用户名", max_length=USERNAME_MAX, required=True)


def clean_display_name(value):
    return text.clean(value, label="姓名", max_length=DISPLAY_NAME_MAX)


def clean_token_label(value):
    return text.clean(value, label="令牌名称", max_length=TOKEN_LABEL_MAX)


def clean_email(value):
    """An optional e-mail address: ``("", None)`` when blank. CR and LF are refused outright
    (a header injection), never folded into a space."""
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        return "", "邮箱地址不能包含换行符。"
    address, error = text.clean_identifier(value, label="邮箱", max_length=EMAIL_MAX)
    if error or not address:
        if error and len(address) > EMAIL_MAX:
            error = f"邮箱地址过长（不超过 {EMAIL_MAX} 个字符）。"
        return address, error
    local = address.partition("@")[0]
    if len(local) > 64 or not _EMAIL.fullmatch(address):
        return address, f"邮箱地址格式不正确：{address}。"
    return address, None


@functools.cache
def common_passwords():
    """The 1,000 most common passwords (lower case): the top of the ranked "passwords"
    frequency list that the zxcvbn package maintains (from leaked password corpora)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_COUNT])


def password_error(password, username="", common=None, *, user_inputs=(),
                   min_score=PASSWORD_MIN_SCORE):
    """The message for an unacceptable password, or None: at least PASSWORD_MIN characters,
    not one of the ``common`` passwords (default :func:`common_passwords`), not containing
    the ``username`` (both case-insensitive; a name of one or two characters is only refused
    as the whole password, which the length already rules out), and rated at least
    ``min_score`` by the estimator (domain.passwords) with the user name and ``user_inputs``
    (display name, e-mail) as the user's own words."""
    if not isinstance(password, str) or text.has_nul(password):
        return "密码包含无效字符（NUL）。" if password else _too_short()
    if len(password) < PASSWORD_MIN:
        return _too_short()
    if len(password) > PASSWORD_MAX:
        return f"密码不能超过 {PASSWORD_MAX} 个字符。"
    folded = password.casefold()
    if folded in (common_passwords() if common is None else common):
        return "该密码过于常见，容易被猜中，请换一个。"
    name = text.identifier(username).casefold()
    if len(name) >= USERNAME_IN_PASSWORD_MIN and (
            name in folded or name in text.identifier(password).casefold()):
        return "密码不能包含用户名。"
    return passwords.strength_error(password, (username, *user_inputs), min_score)


def _too_short():
    return f"密码至少 {PASSWORD_MIN} 个字符。"


def token_expiry_error(expires_on, today):
    """The message for an unacceptable token expiry date (the last day it is accepted), or
    None. ``None`` (no expiry) is fine; a day before ``today`` is not."""
    if expires_on is None:
        return None
    if not isinstance(expires_on, datetime.date):
        return "有效期须为日期（YYYY-MM-DD）。"
    if expires_on < today:
        return f"有效期不能早于今天（{today:%Y-%m-%d}）。"
    if expires_on > today + datetime.timedelta(days=TOKEN_EXPIRY_MAX_DAYS):
        return "有效期不能超过三年；不设有效期请留空。"
    return None


def token_expired(expires_on, today):
    """Is a token with this expiry date (its last valid day) refused on ``today``?"""
    return expires_on is not None and expires_on < today
