"""How a robot message leaves: one HTTPS POST of JSON to the robot's webhook (urllib),
and what the answer means for the row.

:func:`post` returns None when the robot took the message (``errcode`` 0) and otherwise
raises :class:`RobotError` with one of these verdicts:

- ``retry``    certainly not delivered (connection refused, DNS, the request could not be
               sent, HTTP 5xx, an error code that names no cause below): back off, retry;
- ``rate``     the robot's rate limit (企业微信 45009, 钉钉 130101, HTTP 429): not
               delivered; wait a minute, do not count the attempt;
- ``broken``   the webhook URL, key, token or signature is invalid (企业微信 93000, 钉钉
               300001/310000, HTTP 404): not delivered, and never will be until someone
               fixes the robot;
- ``unknown``  the request was sent but no usable answer came (a timeout or a dropped
               connection while waiting): the robot may have posted it -- 状态未知, never
               resent automatically.

Error texts never hold the webhook URL or the secret (domain.robots.redact).
"""
import http.client
import json
import socket
import time
import urllib.error
import urllib.request

from ...domain.robots import payload, redact, signed_url

RATE_CODES = {45009, 130101}
BROKEN_CODES = {93000, 300001, 310000}
RETRY, RATE, BROKEN, UNKNOWN = "retry", "rate", "broken", "unknown"


class RobotError(Exception):
    def __init__(self, message, verdict):
        super().__init__(message)
        self.verdict = verdict


def _judge_code(code, message):
    if code in RATE_CODES:
        return RobotError(f"机器人限流（errcode {code}：{message}），稍后重试。", RATE)
    if code in BROKEN_CODES:
        return RobotError(f"机器人地址或签名无效（errcode {code}：{message}）。", BROKEN)
    return RobotError(f"机器人拒收（errcode {code}：{message}）。", RETRY)


def _judge_body(status, body):
    """None when the answer says the message was taken; else the RobotError it means."""
    try:
        answer = json.loads(body.decode("utf-8", "replace"))
        code = int(answer.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        return RobotError(f"机器人的应答无法识别（HTTP {status}），无法确认是否已发出。", UNKNOWN)
    if code == 0:
        return None
    return _judge_code(code, str(answer.get("errmsg", ""))[:200])


def _judge_http(exc):
    if exc.code == 429:
        return RobotError("机器人限流（HTTP 429），稍后重试。", RATE)
    if exc.code == 404:
        return RobotError("机器人地址无效（HTTP 404）。", BROKEN)
    try:
        body = exc.read()
        answer = json.loads(body.decode("utf-8", "replace"))
        return _judge_code(int(answer["errcode"]), str(answer.get("errmsg", ""))[:200])
    except (ValueError, KeyError, TypeError, AttributeError, OSError):
        if exc.code == 503:     # the server refused it: nothing was posted
            return RobotError("机器人服务器暂不可用（HTTP 503），稍后重试。", RETRY)
        if exc.code >= 500:     # a gateway's 502/504 or the robot's own 500: it may have been posted
            return RobotError(f"机器人服务器错误（HTTP {exc.code}），无法确认是否已发出。", UNKNOWN)
        return RobotError(f"机器人服务器错误（HTTP {exc.code}），稍后重试。", RETRY)


def request_of(robot, message, mentions=(), now_ms=None):
    """(url, body bytes) of one message to ``robot`` (the DingTalk URL signed now)."""
    url = robot.webhook_url
    if robot.kind == "dingtalk":
        url = signed_url(url, robot.secret, int(time.time() * 1000) if now_ms is None else now_ms)
    data = payload(robot.kind, message.title, message.content, mentions)
    return url, json.dumps(data, ensure_ascii=False).encode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook never redirects: a 3xx is an error answer, not a new address to go to
    (the host allow-list judged only the one saved)."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(robot, message, timeout, mentions=(), opener=_OPENER.open):
    """Send ``message`` to ``robot``; None when taken, else raises RobotError."""
    url, body = request_of(robot, message, mentions)
    try:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8"})
    except ValueError:                           # nothing sent: the saved address is unusable
        raise RobotError("机器人地址无法使用，请重新填写 Webhook 地址。", BROKEN) from None
    try:
        with opener(request, timeout=timeout) as response:
            error = _judge_body(response.status, response.read(65536))
    except urllib.error.HTTPError as exc:        # the server answered with an error status
        error = _judge_http(exc)
    except urllib.error.URLError as exc:         # raised before the request was complete
        error = RobotError(f"无法连接机器人服务器：{redact(exc.reason, url, robot.secret)}", RETRY)
    except (http.client.InvalidURL, UnicodeError):   # refused before sending: never posted
        error = RobotError("机器人地址无法使用，请重新填写 Webhook 地址。", BROKEN)
    except (OSError, http.client.HTTPException, socket.timeout) as exc:   # sent, no answer
        error = RobotError("已发出请求但未收到机器人应答（"
                           f"{redact(type(exc).__name__ + ' ' + str(exc), url, robot.secret)}），"
                           "无法确认是否已发出。", UNKNOWN)
    if error is not None:
        raise error
