"""Pure rules of the group robots (企业微信群机器人, 钉钉自定义机器人): which webhook URLs are
accepted, how they are shown masked, how a message is cut to the robot's size limit, and
the DingTalk signature. No Flask, no peewee.
"""
import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, quote_plus, urlsplit

KINDS = ("wecom", "dingtalk")
# Bytes (UTF-8) of a markdown message's text: 企业微信 documents 4,096; 钉钉 documents no
# exact figure for markdown, so the same bound is used (it is well inside what it takes).
CONTENT_LIMIT = {"wecom": 4096, "dingtalk": 4096}
MORE = "……（查看全文）"
OFFICIAL_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")
URL_MAX = 1000
SECRET_MAX = 200


def url_problem(url, allowed_hosts=OFFICIAL_HOSTS, allow_http=False):
    """Why ``url`` is not an acceptable webhook URL ("" when it is): https (http only
    when ``allow_http``) on one of ``allowed_hosts`` (a "*" in them allows any host)."""
    if not url:
        return "请填写 Webhook 地址。"
    if len(url) > URL_MAX:
        return f"Webhook 地址不能超过 {URL_MAX} 个字符。"
    if any(ch.isspace() for ch in url):
        return "Webhook 地址不能包含空白字符。"
    if not (url.isascii() and url.isprintable()):
        return "Webhook 地址只能包含英文字母、数字和符号（请从机器人设置中重新复制）。"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port   # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return "Webhook 地址格式不正确。"
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        return "Webhook 地址必须以 https:// 开头。"
    if not host:
        return "Webhook 地址格式不正确。"
    if "*" not in allowed_hosts and host not in {h.lower() for h in allowed_hosts}:
        return "只接受企业微信、钉钉官方机器人地址（" + "、".join(OFFICIAL_HOSTS) + "）。"
    if parts.username or parts.password:
        return "Webhook 地址不能包含用户名或密码。"
    return ""


def kind_problem(kind, url):
    """Why ``url`` does not fit the robot ``kind`` ("" when it does, or when the host is
    not an official one and so cannot be judged)."""
    host = (urlsplit(url).hostname or "").lower()
    if kind == "wecom" and host == "oapi.dingtalk.com":
        return "这是钉钉机器人的地址，请选择“钉钉自定义机器人”。"
    if kind == "dingtalk" and host == "qyapi.weixin.qq.com":
        return "这是企业微信机器人的地址，请选择“企业微信群机器人”。"
    return ""


def _tail(value, keep=4):
    return "****" + value[-keep:] if len(value) > keep * 2 else "****"


def mask_url(url):
    """The webhook URL as shown after saving: scheme, host and path start, every query
    value cut to its last 4 characters (https://qyapi.weixin.qq.com/…?key=****a1b2)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "****"
    query = "&".join(f"{name}={_tail(value)}" for name, value in parse_qsl(parts.query))
    shown = f"{parts.scheme}://{host}/…"
    return f"{shown}?{query}" if query else shown


def mask_secret(secret):
    return _tail(secret) if secret else ""


def redact(text, *secrets):
    """``text`` with every occurrence of the given secrets (and their query values)
    replaced by "****": what an error text may say about a robot."""
    text = str(text)
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, "****")
        try:
            values = [v for _n, v in parse_qsl(urlsplit(secret).query) if len(v) >= 6]
        except ValueError:
            values = []
        for value in values:
            text = text.replace(value, "****").replace(quote_plus(value), "****")
    return text


def cut(markdown, link, limit):
    """``markdown`` within ``limit`` bytes of UTF-8: unchanged when it fits, else cut at
    the last line boundary that leaves room for "……（查看全文）" and the link."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    tail = MORE + (f"[{link}]({link})" if link else "")
    room = limit - len(("\n" + tail).encode("utf-8"))
    if room <= 0:
        return tail.encode("utf-8")[:limit].decode("utf-8", "ignore")
    head = data[:room].decode("utf-8", "ignore")
    boundary = head.rfind("\n")
    if boundary > 0:
        head = head[:boundary]
    return head.rstrip("\n") + "\n" + tail


def dingtalk_sign(secret, timestamp_ms):
    """The ``sign`` query value: URL-encoded base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    payload = f"{timestamp_ms}\n{secret}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def signed_url(url, secret, timestamp_ms):
    """The DingTalk webhook URL with ``timestamp`` and ``sign`` (unchanged without a secret)."""
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def payload(kind, title, content, mentions=()):
    """The JSON body of one markdown message."""
    if kind == "dingtalk":
        text = content
        if mentions:
            text += "\n\n" + " ".join(f"@{m}" for m in mentions)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
                "at": {"atMobiles": list(mentions), "isAtAll": False}}
    return {"msgtype": "markdown", "markdown": {"content": content}}
