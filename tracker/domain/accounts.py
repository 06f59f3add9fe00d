"""Account rules: bounds and syntax of user names, display names, e-mail addresses and API
token labels. Pure functions returning ``(value, error)`` like :func:`text.clean`."""
import re

from . import text

USERNAME_MAX = 64
DISPLAY_NAME_MAX = 64
EMAIL_MAX = 254
TOKEN_LABEL_MAX = 64
PASSWORD_MIN, PASSWORD_MAX = 8, 1024

# An ordinary address: dot-atom local part (RFC 5322 atext) @ a host name with a dot, every
# label 1-63 letters, digits or inner hyphens, the last one alphabetic (or punycode).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]+)")


def clean_username(value):
    return text.clean(value, label="用户名", max_length=USERNAME_MAX, required=True)


def clean_display_name(value):
    return text.clean(value, label="姓名", max_length=DISPLAY_NAME_MAX)


def clean_token_label(value):
    return text.clean(value, label="令牌名称", max_length=TOKEN_LABEL_MAX)


def clean_email(value):
    """An optional e-mail address: ``("", None)`` when blank. CR and LF are refused outright
    (a header injection), never folded into a space."""
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        return "", "邮箱地址不能包含换行符（invalid email address: contains CR/LF）。"
    address, error = text.clean(value, label="邮箱", max_length=EMAIL_MAX)
    if error or not address:
        if error and len(address) > EMAIL_MAX:
            error = f"邮箱地址过长（invalid email address: over {EMAIL_MAX} characters）。"
        return address, error
    local = address.partition("@")[0]
    if len(local) > 64 or not _EMAIL.fullmatch(address):
        return address, f"邮箱地址格式不正确（invalid email address: {address!r}）。"
    return address, None


def password_error(password):
    """The message for an unacceptable password, or None."""
    if text.has_nul(password):
        return "密码包含无效字符（NUL）。"
    if len(password or "") < PASSWORD_MIN:
        return f"密码至少 {PASSWORD_MIN} 个字符（password must have at least {PASSWORD_MIN} characters）。"
    if len(password) > PASSWORD_MAX:
        return f"密码不能超过 {PASSWORD_MAX} 个字符。"
    return None
