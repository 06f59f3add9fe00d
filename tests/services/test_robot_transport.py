"""How a robot's answer (or its absence) is judged before anything is recorded
(services.robots.transport): a status that proves nothing was posted is retried, one after
which the post may have arrived is in doubt (never resent on its own), an address the HTTP
client refuses before sending marks the robot broken."""
import io
import urllib.error
from types import SimpleNamespace

import pytest

from tracker.services.robots import transport

URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"


def _robot(url=URL):
    return SimpleNamespace(webhook_url=url, kind="wecom", secret="")


def _message():
    return SimpleNamespace(title="督办提醒", content="**用地协调** 今天到期", link="")


def _answering(status, body=b"<html>bad gateway</html>"):
    def opener(request, timeout):
        raise urllib.error.HTTPError(request.full_url, status, "error", {}, io.BytesIO(body))
    return opener


@pytest.mark.parametrize("status, verdict", [
    (503, transport.RETRY), (502, transport.UNKNOWN), (504, transport.UNKNOWN), (500, transport.UNKNOWN),
    (429, transport.RATE), (404, transport.BROKEN)])
def test_an_error_status_without_an_errcode_is_judged_by_what_it_proves(status, verdict):
    with pytest.raises(transport.RobotError) as raised:
        transport.post(_robot(), _message(), 5, opener=_answering(status))
    assert raised.value.verdict == verdict


def test_an_errcode_in_an_error_status_is_the_robots_own_answer():
    with pytest.raises(transport.RobotError) as raised:
        transport.post(_robot(), _message(), 5, opener=_answering(500, b'{"errcode": 45009}'))
    assert raised.value.verdict == transport.RATE


@pytest.mark.parametrize("url", ["https://127.0.0.1:9/send?key=a\x01b", "https://127.0.0.1:9/send?key=密钥"])
def test_an_address_refused_before_sending_marks_the_robot_broken_not_in_doubt(url):
    with pytest.raises(transport.RobotError) as raised:
        transport.post(_robot(url), _message(), 5)
    assert raised.value.verdict == transport.BROKEN
    assert "key=" not in str(raised.value)
