"""Password strength (issue 23): the zxcvbn estimator with a minimum score, the user's own
names and the app's name as context, and the common Chinese patterns it does not know.

zxcvbn (Dropbox's estimator, a dependency already) rates a password 0-4 from the guesses an
attacker needs. Its dictionaries are English; Chinese users' favourites are missing: pinyin
words and surnames (woaini, zhang, wang), the "love numbers" 520 / 1314 / 5201314, and a name
followed by a birthday (zhang19900101). These are given to it as extra user inputs, so it
finds them as cheap dictionary words (a birthday is its own date pattern). The message names
the patterns it found, in zh-CN."""
import functools

APP_NAMES = ("tracker", "zhaoshang", "zhuanban", "taizhang", "fushun", "招商", "专班", "台账")
# Pinyin words and surnames, and number patterns, common in Chinese passwords (ranked by
# hand: the earlier, the cheaper).
CHINESE_PATTERNS = tuple("""
woaini 5201314 1314520 520 1314 521 woaiwojia aini iloveyou wangyi baobei laopo laogong qinai
mima zhongguo beijing shanghai liaoning shenyang dalian
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang
xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei
su lu ding ren shen yao jin qian fan fang shi hou tan qin dai xia zhong wan qiu
xiaoming xiaohong lei jun jie hong ying ping hua ming qiang tao
qq weixin taobao baidu
""".split())
# Account words zxcvbn ranks too low for a system's login ("Admin@123456").
ACCOUNT_WORDS = ("admin", "administrator", "root", "guanli", "guanliyuan", "test", "ceshi",
                 "user", "system", "manager")
# The patterns zxcvbn reports, and what they mean to a user (the order of the message).
REASONS = {
    "personal": "含有您的用户名、姓名或邮箱",
    "app": "含有本系统的名称",
    "chinese": "含有常见的拼音或数字组合（如 woaini、zhang、5201314）",
    "dictionary": "含有常见密码或常用单词（如 password、admin）",
    "repeat": "含有重复的字符（如 888888、aaaa）",
    "sequence": "含有连续的字母或数字（如 123456、abcd）",
    "spatial": "含有键盘上相邻的按键（如 qwerty、1qaz）",
    "date": "含有日期或年份（如生日）",
}
SCORE_WORDS = {0: "极弱", 1: "很弱", 2: "弱", 3: "中等", 4: "强"}
ESTIMATED_LENGTH = 72  # zxcvbn refuses longer input (its time grows with the length)


@functools.cache
def _chinese():
    return frozenset(CHINESE_PATTERNS)


def _inputs(user_inputs):
    """The personal inputs, folded, with an e-mail's local part beside it."""
    found = []
    for value in user_inputs:
        value = str(value or "").strip().casefold()
        if value:
            found.append(value)
            if "@" in value:
                found.append(value.partition("@")[0])
    return tuple(dict.fromkeys(found))


def _kind(match, personal):
    pattern = match.get("pattern")
    if pattern == "dictionary":
        word = str(match.get("matched_word", "")).casefold()
        if match.get("dictionary_name") != "user_inputs":
            return "dictionary"
        if word in personal:
            return "personal"
        if word in APP_NAMES:
            return "app"
        return "chinese" if word in _chinese() else "dictionary"
    if pattern == "regex":
        return "date"  # zxcvbn's regex pattern is a recent year
    return pattern if pattern in REASONS else None


def estimate(password, user_inputs=()):
    """(score 0-4, [reason keys of REASONS]) of ``password`` with the user's own names."""
    from zxcvbn import zxcvbn
    personal = _inputs(user_inputs)
    result = zxcvbn(password[:ESTIMATED_LENGTH],
                    user_inputs=[*personal, *ACCOUNT_WORDS, *APP_NAMES, *CHINESE_PATTERNS])
    kinds = {_kind(m, personal) for m in result["sequence"]}
    return result["score"], [key for key in REASONS if key in kinds]


def strength_error(password, user_inputs=(), min_score=3):
    """The zh-CN message for a password rated below ``min_score`` (0-4), saying why, or
    None."""
    if min_score <= 0:
        return None
    score, reasons = estimate(password, user_inputs)
    if score >= min_score:
        return None
    why = "；".join(REASONS[key] for key in reasons) or "太短或规律太明显"
    return (f"密码强度{SCORE_WORDS.get(score, '弱')}，容易被猜中：{why}。"
            "请换一个更长、没有规律的密码，例如几个不相关的词语加数字和符号。")
