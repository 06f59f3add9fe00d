"""Password strength (issue 23, domain.passwords): the zxcvbn estimator with a minimum score,
the user's own words and the app's name as context, the Chinese patterns it misses, and a
zh-CN message saying why."""
import random
import string
import time

import pytest

from tracker.domain import accounts as rules, passwords

# The passwords the security re-test found accepted by the old rule (length + common list).
WEAK = ["password12", "Admin@123456", "Aa123456789", "woaini1314520", "admin12345",
        "qwerty123456", "zhang123456", "88888888888"]


@pytest.mark.parametrize("password", WEAK)
def test_the_passwords_of_the_re_test_are_refused(password):
    assert len(password) >= rules.PASSWORD_MIN          # the old rule let them through
    assert password.casefold() not in rules.common_passwords() or password == "password12"
    message = rules.password_error(password, "li")
    assert message and "容易被猜中" in message


@pytest.mark.parametrize("password,reason", [
    ("woaini1314520", "拼音或数字组合"), ("wang5201314", "拼音或数字组合"),
    ("zhang19900101", "日期或年份"), ("88888888888", "重复的字符"),
    ("qwerty123456", "常见密码"), ("Tracker-2026", "本系统的名称"),
    ("abcdefghijk12", "连续的字母或数字"), ("asdfghjkl;'", "键盘上相邻的按键"),
])
def test_the_message_names_the_pattern(password, reason):
    assert reason in rules.password_error(password, "li")


def test_the_chinese_patterns_are_what_the_estimator_misses():
    """Without the extra words zxcvbn rates these acceptable; with them it does not."""
    from zxcvbn import zxcvbn
    for password in ("woaini1314520", "Admin@123456"):
        assert zxcvbn(password)["score"] >= 3
        assert passwords.estimate(password)[0] < 3


def test_the_users_own_words_count_against_a_password():
    inputs = ("Fengzhang Li", "fengzhang@example.test")
    assert rules.password_error("fengzhang#2026", "li") is None
    message = rules.password_error("fengzhang#2026", "li", user_inputs=inputs)
    assert "含有您的用户名、姓名或邮箱" in message
    assert "含有您的用户名、姓名或邮箱" in passwords.strength_error("Xiaolong@1", ("xiaolong",))


@pytest.mark.parametrize("password", ["Lantern-River-42", "correct-horse-9", "wang-li-zhang-77",
                                      "7h#kQ2mP9xLw", "sunlight-orange-desk"])
def test_good_passwords_pass(password):
    assert rules.password_error(password, "li", user_inputs=("李明", "li@example.test")) is None


def test_the_minimum_score_is_adjustable():
    assert rules.password_error("zhang19900101", "li", min_score=0) is None
    assert rules.password_error("zhang19900101", "li", min_score=1) is None
    assert rules.password_error("zhang19900101", "li", min_score=2)
    assert rules.password_error("Lantern-River-42", "li", min_score=4) is None


def test_a_long_password_is_estimated_quickly():
    """zxcvbn refuses input over 72 characters and slows with the length: the first 72 are
    rated (a long one is refused only for a weak start)."""
    rng = random.Random(23)
    strong = "".join(rng.choice(string.ascii_letters + string.digits + "#-!")
                     for _ in range(rules.PASSWORD_MAX))
    started = time.perf_counter()
    assert rules.password_error(strong, "li") is None
    assert "重复的字符" in rules.password_error("a1b2" * 256, "li")
    assert time.perf_counter() - started < 2
