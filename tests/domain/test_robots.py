"""Pure robot rules (tracker/domain/robots.py): the webhook allow-list, masking, redaction,
the cut at a line boundary, and the DingTalk signature (checked against the documented
construction by hand)."""
import base64
import hashlib
import hmac
import urllib.parse

import pytest

from tracker.domain import robots as R

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"


@pytest.mark.parametrize("url, problem", [
    (WECOM, ""), (DING, ""),
    ("", "请填写"),
    ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "https://"),
    ("https://qyapi.weixin.qq.com.evil.cn/cgi-bin/webhook/send?key=1", "官方"),
    ("https://evil.cn/?u=https://qyapi.weixin.qq.com/", "官方"),
    ("https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "用户名"),
    ("https://qyapi.weixin.qq.com:99999/x", "格式"),
    ("https://qyapi.weixin.qq.com/x y", "空白"),
    ("ftp://qyapi.weixin.qq.com/x", "https://"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a\x01b", "英文字母"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=密钥", "英文字母"),
])
def test_only_https_webhooks_on_the_official_hosts(url, problem):
    found = R.url_problem(url)
    assert (problem in found) if problem else found == ""


def test_a_setting_allows_other_hosts_and_http():
    local = "http://127.0.0.1:8080/cgi-bin/webhook/send?key=1"
    assert R.url_problem(local) != ""
    assert R.url_problem(local, allowed_hosts=R.OFFICIAL_HOSTS + ("127.0.0.1",)) != ""   # still http
    assert R.url_problem(local, allowed_hosts=("127.0.0.1",), allow_http=True) == ""
    assert R.url_problem("https://gw.example.gov.cn/robot", allowed_hosts=("*",)) == ""


def test_masking_keeps_only_the_host_and_the_last_characters():
    assert R.mask_url(WECOM) == "https://qyapi.weixin.qq.com/…?key=****5aaa"
    assert R.mask_url(DING) == "https://oapi.dingtalk.com/…?access_token=****6789"
    assert R.mask_secret("SEC0123456789abcdef") == "****cdef" and R.mask_secret("short") == "****"
    assert "0ec2sifa" not in R.mask_url(WECOM)


def test_redaction_removes_the_url_and_its_key_from_an_error_text():
    text = f"<urlopen error [Errno 111] {WECOM}> key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa SECxyz123"
    cleaned = R.redact(text, WECOM, "SECxyz123")
    assert "693a91f6" not in cleaned and "SECxyz123" not in cleaned and "Errno 111" in cleaned


def test_a_message_that_fits_is_unchanged():
    assert R.cut("### 标题\n内容", "https://x/1", 4096) == "### 标题\n内容"


def test_the_cut_is_at_a_line_boundary_within_the_byte_limit():
    lines = [f"- 第{i}行 完成率 {i}.5%（欠进度）" for i in range(300)]
    text = R.cut("\n".join(lines), "https://t.example/tf/1", 4096)
    assert len(text.encode("utf-8")) <= 4096
    *kept, tail = text.split("\n")
    assert tail == "……（查看全文）[https://t.example/tf/1](https://t.example/tf/1)"
    assert kept == lines[:len(kept)] and len(kept) > 90
    # one more line would not have fitted
    assert len("\n".join(lines[:len(kept) + 1] + [tail]).encode("utf-8")) > 4096


def test_a_single_overlong_line_is_cut_inside_without_breaking_a_character():
    text = R.cut("长" * 3000, "", 4096)
    assert len(text.encode("utf-8")) <= 4096 and text.endswith("……（查看全文）")
    text.encode("utf-8").decode("utf-8")


def test_the_dingtalk_signature_is_the_documented_one():
    secret, ts = "SECabc", 1700000000000
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    expected = urllib.parse.quote_plus(base64.b64encode(digest))
    assert R.dingtalk_sign(secret, ts) == expected
    url = R.signed_url(DING, secret, ts)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["timestamp"] == str(ts) and query["sign"] == base64.b64encode(digest).decode()
    assert R.signed_url(DING, "", ts) == DING


def test_payloads_of_both_robots():
    assert R.payload("wecom", "t", "c") == {"msgtype": "markdown", "markdown": {"content": "c"}}
    ding = R.payload("dingtalk", "t", "c", ("13800000000",))
    assert ding["markdown"] == {"title": "t", "text": "c\n\n@13800000000"}
    assert ding["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}
