"""Text cleaning (the user's characters kept), identifiers, search terms and the look-alike
duplicate key (tracker.domain.text)."""
import re
import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import text as T

# Invisible characters (Cc/Cf) a paste can carry into a name.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f",
             "\u202a", "\u202e", "\u2066", "\u2069", "\x01", "\x7f", "\x9f"]

# Chinese punctuation and full-width forms a user types: stored exactly as typed.
PUNCTUATION = "，。、：；“”‘’（）《》【】—…"
FULL_WIDTH_TEXT = "ＡＢＣ１２３ａｂｃ！＃％＆＋－．／＝？＠［］｛｝～￥"

fast = settings(max_examples=200, deadline=None)
# Any text, including lone surrogates, controls and line breaks of every kind.
any_text = st.text(st.characters(codec=None), max_size=40) | st.text(
    st.sampled_from(list("ab é\u0301\n\r\t\x0b\u2028\u00a0\u3000\u200b\u200d\ufeff\x00"
                         "\u1100\u1161ＡＢ１,.有限公司（）：，\u00a8ﬁ㈱\ufdd0\uffff\ue000")),
    max_size=30) | st.text(
    # Bases, combining marks, jamo and invisibles: removing an invisible can join a pair
    # NFKC composes.
    st.sampled_from(list("ae\u0301\u0308\u0316\u1100\u1161\u11a8ｶﾞ\u200b\u00ad\x01 ")),
    max_size=8)


# --- normalize ----------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (None, ""),
    ("", ""),
    ("  abc  ", "abc"),
    ("a   b\t\tc", "a b c"),
    ("a\nb\r\nc\rd", "a b c d"),
    ("ＡＢＣ１２３", "ＡＢＣ１２３"),                  # full-width letters/digits: as typed
    (PUNCTUATION, PUNCTUATION),                       # Chinese punctuation: as typed
    ("抚顺（新材料）有限公司：一期，二期", "抚顺（新材料）有限公司：一期，二期"),
    ("抚顺\u00a0石化", "抚顺 石化"),                  # NBSP is a space
    ("抚顺\u3000\u3000石化", "抚顺 石化"),            # ideographic space too
    ("\u3000抚顺石化\u00a0", "抚顺石化"),
    ("抚\u200b顺\u200d石\ufeff化\u00ad", "抚顺石化"),  # ZWSP, ZWJ, BOM, soft hyphen
    ("\u200eabc\u202e\u202c", "abc"),                 # bidi marks
    ("a\x00b", "ab"),                                 # dropped here; clean() refuses it
    ("a\x07b\x1bc", "abc"),                           # other control characters
    ("a\u2028b\u2029c", "a b c"),                     # line/paragraph separators separate
    ("a\x0bb\x0cc\x85d", "a b c d"),                  # VT, FF, NEL separate words too
    ("\u200b\u200b\u200b", ""),
    ("ﬁ ㈱ ①", "ﬁ ㈱ ①"),                             # compatibility forms are kept
    ("\ue000\U00031350", "\ue000\U00031350"),      # private use, newer CJK: kept
    ("a\ufdd0b\uffffc\U0001fffe", "abc"),           # noncharacters are not characters
    ("a\ud800b", "ab"),                               # a lone surrogate cannot be stored
    (12, "12"),
])
def test_normalize(raw, expected):
    assert T.normalize(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("a\nb", "a\nb"),
    ("a\r\nb\rc", "a\nb\nc"),
    ("  a  \n  b  ", "a\nb"),
    ("a\n\nb", "a\n\nb"),                   # one blank line is kept
    ("a\n\n\n\n\nb", "a\n\nb"),             # a run of them is one
    ("a\n \u3000\t\n\u200b\n\nb", "a\n\nb"),  # lines of only spaces/invisibles are blank
    ("\n\na\n\n", "a"),
    ("a\tb\u00a0\u00a0c", "a b c"),
    ("a\u2028b", "a\nb"),
    ("a\x0bb", "a\nb"),
    ("第一行：（甲）\n\n第二行，“乙”……", "第一行：（甲）\n\n第二行，“乙”……"),
])
def test_normalize_multiline(raw, expected):
    assert T.normalize(raw, multiline=True) == expected


def test_normalize_recomposes_across_a_removed_character():
    # "e", ZWSP, combining acute: once ZWSP is gone the pair composes to "é" (one character).
    assert T.normalize("e\u200b\u0301") == "\u00e9"
    assert T.normalize("\u1100\u200b\u1161") == "\uac00"  # Hangul jamo -> syllable
    assert T.normalize("e\u0301") == "\u00e9"


def _allowed(ch, multiline):
    return not (ch == "\x00" or unicodedata.category(ch) in ("Cf", "Cs")
                or (unicodedata.category(ch) == "Cc" and not (multiline and ch == "\n"))
                or _noncharacter(ch))


def _noncharacter(ch):
    return 0xFDD0 <= ord(ch) <= 0xFDEF or ord(ch) & 0xFFFE == 0xFFFE


def _visible(value):
    """What cleaning may not change, up to canonical equivalence: every character but
    whitespace, controls, format characters, lone surrogates and noncharacters (in NFD,
    reordered again once those are gone)."""
    kept = "".join(ch for ch in unicodedata.normalize("NFD", value)
                   if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs")
                           or _noncharacter(ch)))
    return unicodedata.normalize("NFD", kept)


@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize("value", [PUNCTUATION, FULL_WIDTH_TEXT, PUNCTUATION + FULL_WIDTH_TEXT,
                                   "“抚顺（新材料）”：《方案》【一期】—二期…",
                                   "ﬁ㈱①½™Ⅳ㎡", "ｶﾞｷﾞ", "\u3131\uffa1"])
def test_normalize_and_clean_keep_the_users_characters(value, multiline):
    assert T.normalize(value, multiline=multiline) == value
    assert T.clean(value, label="名称", max_length=100, multiline=multiline) == (value, None)
    assert T.clean(f" \u200b{value}\ufeff ", label="名称", max_length=100,
                   multiline=multiline) == (value, None)


@fast
@given(any_text, st.booleans())
def test_normalize_is_idempotent(value, multiline):
    once = T.normalize(value, multiline=multiline)
    assert T.normalize(once, multiline=multiline) == once


@fast
@given(any_text, st.booleans())
def test_normalize_output_has_no_control_or_format_characters(value, multiline):
    out = T.normalize(value, multiline=multiline)
    assert all(_allowed(ch, multiline) for ch in out), ascii(out)
    assert out == out.strip()
    assert unicodedata.normalize("NFC", out) == out
    assert "  " not in out and "\u00a0" not in out and "\u3000" not in out
    if multiline:
        assert "\n\n\n" not in out
        assert all(line == line.strip() for line in out.split("\n"))
    else:
        assert "\n" not in out


@fast
@given(any_text, st.booleans())
def test_normalize_changes_no_visible_character(value, multiline):
    # Only whitespace, Cc/Cf, lone surrogates and noncharacters go; everything else stays,
    # up to canonical equivalence (NFC): no width or compatibility folding.
    out = T.normalize(value, multiline=multiline)
    assert _visible(out) == _visible(value), (ascii(value), ascii(out))
    assert unicodedata.normalize("NFC", out) == out


@fast
@given(st.text(st.sampled_from(list(PUNCTUATION + FULL_WIDTH_TEXT + "抚顺石化ab ")),
               max_size=30), st.booleans())
def test_normalize_keeps_chinese_punctuation_and_full_width_forms(value, multiline):
    # Nothing in the text is whitespace but " ": the text is only trimmed and collapsed.
    expected = " ".join(value.split())
    assert T.normalize(value, multiline=multiline) == expected


# --- identifier (user names, e-mail addresses, codes, tags) -----------------------------

@pytest.mark.parametrize("raw, expected", [
    (None, ""),
    (" ｗａｎｇ\u200b ", "wang"),
    ("ＮＥＷ１", "NEW1"),
    ("ＵＳＤ", "USD"),
    ("世界５００强", "世界500强"),
    ("ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "wang@example.com"),
    ("ﬁ ㈱ ①", "fi (株) 1"),
    ("a\nb", "a b"),
    ("\u00a8x", "\u0308x"),       # NFKC gives " \u0308": the space is trimmed
])
def test_identifier_folds_width_and_compatibility_forms(raw, expected):
    assert T.identifier(raw) == expected


@fast
@given(any_text)
def test_identifier_is_idempotent_and_nfkc(value):
    once = T.identifier(value)
    assert T.identifier(once) == once
    assert unicodedata.normalize("NFKC", once) == once
    assert all(_allowed(ch, False) for ch in once), ascii(once)
    assert once == T.normalize(once)


def test_clean_identifier():
    assert T.clean_identifier(" ｗａｎｇ ", label="用户名", max_length=64) == ("wang", None)
    assert T.clean_identifier("a\x00", label="用户名", max_length=64) \
        == ("", "用户名包含无效字符（NUL），请删除后重试。")
    assert T.clean_identifier("\u200b", label="用户名", max_length=64, required=True) \
        == ("", "请填写用户名。")
    # NFKC can lengthen: "㈱" is "(株)", 3 characters.
    assert T.clean_identifier("㈱", label="编码", max_length=2) \
        == ("(株)", "编码不能超过 2 个字（现为 3 个字）。")


# --- search_terms -----------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (None, ()),
    (" \u200b ", ()),
    ("抚顺石化", ("抚顺石化",)),
    (" 抚顺\u200b石化 ", ("抚顺石化",)),
    ("（B）", ("（B）", "(B)")),
    ("ＡＢＣ：一期", ("ＡＢＣ：一期", "ABC:一期")),
])
def test_search_terms(raw, expected):
    assert T.search_terms(raw) == expected


# --- clean / clean_into -----------------------------------------------------------------

def test_clean_ok():
    assert T.clean("  抚顺石化  ", label="项目名称", max_length=10) == ("抚顺石化", None)
    assert T.clean(None, label="备注", max_length=10) == ("", None)
    assert T.clean("", label="备注", max_length=10) == ("", None)


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\x00\x00", " \x00 ", "抚顺\u200b\x00"])
@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize("required", [False, True])
def test_clean_refuses_nul(value, multiline, required):
    text, error = T.clean(value, label="项目名称", max_length=100, required=required,
                          multiline=multiline)
    assert error == "项目名称包含无效字符（NUL），请删除后重试。"
    assert "\x00" not in text


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000\u00a0", "\u200b", "\u200b" * 5,
                                   "\ufeff\u200d", "\n\t"])
def test_clean_required_refuses_blank_and_invisible(value):
    assert T.clean(value, label="项目名称", max_length=100, required=True) \
        == ("", "请填写项目名称。")


def test_clean_length_is_counted_after_normalisation():
    # 10 characters and lots of invisible/space padding: fits.
    padded = "  " + "\u200b".join("abcdefghij") + "\u3000\n"
    assert T.clean(padded, label="名称", max_length=10) == ("abcdefghij", None)
    # Stored as typed: "㈱" is one character (an identifier folds it to "(株)", three).
    assert T.clean("㈱", label="名称", max_length=1) == ("㈱", None)
    assert T.clean("a" * 11, label="名称", max_length=10) \
        == ("a" * 11, "名称不能超过 10 个字（现为 11 个字）。")
    assert T.clean("a" * 10, label="名称", max_length=10) == ("a" * 10, None)


@pytest.mark.parametrize("multiline", [False, True])
def test_clean_still_removes_control_and_format_characters(multiline):
    raw = f"\ufeff{PUNCTUATION[:5]}\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u202a\u202e" \
          f"\u2066\u2069\x01\x7f\x9f{PUNCTUATION[5:]}\u00ad"
    assert T.clean(raw, label="备注", max_length=100, multiline=multiline) == (PUNCTUATION, None)


def test_clean_multiline():
    assert T.clean("第一行\r\n\r\n\r\n第二行 ", label="备注", max_length=100, multiline=True) \
        == ("第一行\n\n第二行", None)
    assert T.clean("第一行\n第二行", label="名称", max_length=100) == ("第一行 第二行", None)


def test_clean_into():
    errors = {}
    assert T.clean_into(errors, "name", " x ", label="名称", max_length=5) == "x"
    assert errors == {}
    assert T.clean_into(errors, "name", "", label="名称", max_length=5, required=True) == ""
    assert errors == {"name": "请填写名称。"}
    # The first error for a field is kept.
    T.clean_into(errors, "name", "toolong", label="名称", max_length=5)
    assert errors == {"name": "请填写名称。"}
    T.clean_into(errors, "note", "a\x00", label="备注", max_length=5, multiline=True)
    assert errors["note"] == "备注包含无效字符（NUL），请删除后重试。"


@fast
@given(any_text, st.integers(min_value=0, max_value=20), st.booleans(), st.booleans())
def test_clean_never_passes_long_text_or_nul(value, max_length, required, multiline):
    text, error = T.clean(value, label="名称", max_length=max_length, required=required,
                          multiline=multiline)
    assert "\x00" not in text
    if error is None:
        assert len(text) <= max_length
        assert "\x00" not in value
        assert text == T.normalize(value, multiline=multiline)
        assert text or not required
    else:
        assert error.startswith("名称") or error == "请填写名称。"


# --- fold / company_key --------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("ABC", "abc"),
    ("ＡＢＣ", "abc"),
    ("ＡＢＣ１２３", "abc123"),
    ("抚顺（新材料）：一期，二期", "抚顺(新材料):一期,二期"),
    ("“甲”‘乙’《丙》【丁】—…", "\"甲\"'乙'<丙>[丁]-..."),
    ("ﬁ㈱", "fi(株)"),
    ("A B C", "abc"),
    ("A.B-C！", "abc"),
    ("Straße", "STRASSE"),
    ("抚顺（石化）", "抚顺石化"),
    ("e\u0301", "\u00e9"),
    ("葛\U000e0100", "葛"),                   # ideographic variation sequence
    ("a\u034fb", "ab"),                       # combining grapheme joiner
    ("a\ufe0f", "a"),
    ("\u3164抚顺", "抚顺"),                    # Hangul filler
])
def test_fold_equal(a, b):
    assert T.fold(a) == T.fold(b)


@pytest.mark.parametrize("a, b", [
    ("抚顺石化", "抚顺化工"),
    ("abc", "abd"),
    ("1号", "2号"),
    ("café", "cafe"),
])
def test_fold_different(a, b):
    assert T.fold(a) != T.fold(b)


@pytest.mark.parametrize("value, expected", [
    ("抚顺石化有限公司", "抚顺石化"),
    ("抚顺石化有限责任公司", "抚顺石化"),
    ("抚顺石化股份有限公司", "抚顺石化"),
    ("抚顺石化股份公司", "抚顺石化"),
    ("抚顺石化公司", "抚顺石化"),
    ("抚顺石化", "抚顺石化"),
    ("Fushun Petrochemical Co., Ltd.", "fushunpetrochemical"),
    ("Fushun Petrochemical CO.,LTD", "fushunpetrochemical"),
    ("Acme Inc.", "acme"),
    ("Acme Corporation", "acme"),
    ("Acme GmbH", "acme"),
    ("Acme LLC", "acme"),
    ("Acme Limited", "acme"),
    # Only one suffix is set aside, and a name that is only a suffix stays whole.
    ("有限公司", "有限公司"),
    ("公司", "公司"),
    ("Ltd.", "ltd"),
    ("", ""),
])
def test_company_key(value, expected):
    assert T.company_key(value) == expected


# --- duplicate_key ---------------------------------------------------------------------------

NAME, INVESTOR = "抚顺石化炼油改造项目", "抚顺石化有限公司"


def test_duplicate_key_is_sha256_hex():
    key = T.duplicate_key(NAME, INVESTOR)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == T.duplicate_key(NAME, INVESTOR)


@pytest.mark.parametrize("name, investor", [
    ("抚顺石化炼油改造项目", "抚顺石化"),                              # suffix set aside
    ("抚顺石化炼油改造项目", "抚顺石化有限责任公司"),
    ("抚顺石化炼油改造项目", "抚顺石化股份有限公司"),
    ("  抚顺石化  炼油改造项目 ", "抚顺石化\u3000有限公司"),              # spacing
    ("抚顺石化\u200b炼油改造项目", "抚\u200d顺石化\ufeff有限公司\u00ad"),   # invisibles
    ("\u202e抚顺石化炼油改造项目\u200e", "抚顺石化有限公司"),
    ("抚顺石化（炼油）改造项目", "抚顺石化有限公司。"),                   # punctuation
])
def test_duplicate_key_collides_for_look_alikes(name, investor):
    assert T.duplicate_key(name, investor) == T.duplicate_key(NAME, INVESTOR)


@pytest.mark.parametrize("a, b", [
    (("ABC Project", "Acme Co., Ltd."), ("abc project", "ACME")),
    (("ＡＢＣ Project", "Ａｃｍｅ Inc."), ("ABC Project", "Acme")),
    (("ABC\u200b123", "x"), ("ABC123", "x")),
    (("ABC 123", "x"), ("abc  123", "x")),
])
def test_duplicate_key_collides_for_latin_look_alikes(a, b):
    assert T.duplicate_key(*a) == T.duplicate_key(*b)


@pytest.mark.parametrize("name, investor", [
    ("抚顺化工炼油改造项目", "抚顺石化有限公司"),    # different name
    ("抚顺石化炼油改造项目", "抚顺化工有限公司"),    # different investor
    ("抚顺石化炼油改造项目", "大连石化有限公司"),
    ("抚顺石化炼油改造项目二期", "抚顺石化有限公司"),
    ("抚顺石化炼油改造项目", ""),
    ("", "抚顺石化炼油改造项目抚顺石化有限公司"),
])
def test_duplicate_key_differs_for_different_projects(name, investor):
    assert T.duplicate_key(name, investor) != T.duplicate_key(NAME, INVESTOR)


def test_duplicate_key_keeps_name_and_investor_apart():
    # The separator keeps "ab"+"c" and "a"+"bc" apart.
    assert T.duplicate_key("ab", "c") != T.duplicate_key("a", "bc")
    assert T.duplicate_key("抚顺石化", "x") != T.duplicate_key("抚顺化工", "x")


@fast
@given(any_text, any_text, st.sampled_from(INVISIBLE), st.data())
def test_duplicate_key_ignores_invisible_characters(name, investor, invisible, data):
    assert T.duplicate_key(name + "\u200b", investor) == T.duplicate_key(name, investor)
    assert T.duplicate_key(name, "\u200b" + investor) == T.duplicate_key(name, investor)
    at = data.draw(st.integers(min_value=0, max_value=len(name)))
    assert T.duplicate_key(name[:at] + invisible + name[at:], investor) \
        == T.duplicate_key(name, investor)


ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40)


@fast
@given(ascii_text, any_text)
def test_duplicate_key_ignores_ascii_case(name, investor):
    assert T.duplicate_key(name.upper(), investor) == T.duplicate_key(name, investor)
    assert T.duplicate_key(name.lower(), investor.upper()) \
        == T.duplicate_key(name, investor.lower())


FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in string.ascii_letters + string.digits}


@fast
@given(ascii_text, ascii_text)
def test_duplicate_key_ignores_width_and_spacing(name, investor):
    key = T.duplicate_key(name, investor)
    assert T.duplicate_key(name.translate(FULL_WIDTH), investor) == key
    assert T.duplicate_key(f"  {name.replace(' ', '   ')}\u3000", investor) == key


@fast
@given(st.text(st.sampled_from("抚顺石化工大连炼油项目ABCxyz123"), min_size=1, max_size=12),
       st.sampled_from(["有限公司", "有限责任公司", "股份有限公司", " Co., Ltd.", " Inc."]))
def test_duplicate_key_sets_company_suffix_aside(investor, suffix):
    assert T.duplicate_key("项目", investor + suffix) == T.duplicate_key("项目", investor)


@fast
@given(any_text, any_text, any_text)
def test_duplicate_key_is_a_function_of_company_keys(name, other, investor):
    same = T.company_key(name) == T.company_key(other)
    assert (T.duplicate_key(name, investor) == T.duplicate_key(other, investor)) == same


@pytest.mark.parametrize("a, b", [
    (("抚顺（新材料）项目", "抚顺（新材料）有限公司"), ("抚顺(新材料)项目", "抚顺(新材料)")),
    (("ＡＢＣ１２３：一期，二期", "Ａｃｍｅ（中国）有限公司"), ("abc123:一期,二期", "ACME(中国)")),
    (("“抚顺”《石化》【炼油】—改造…", "抚顺石化"), ('"抚顺"<石化>[炼油]-改造...', "抚顺石化公司")),
])
def test_duplicate_key_collides_for_punctuation_and_width_variants(a, b):
    # The stored texts differ (each is kept as typed); their key does not.
    assert T.normalize(a[0]) != T.normalize(b[0])
    assert T.duplicate_key(*a) == T.duplicate_key(*b)


@fast
@given(any_text)
def test_fold_is_the_same_before_and_after_cleaning(value):
    # Keys are made from stored (cleaned) texts: cleaning may not move a text's key.
    assert T.fold(T.normalize(value)) == T.fold(value)
    assert T.fold(T.identifier(value)) == T.fold(value)
    assert T.company_key(T.normalize(value, multiline=True)) == T.company_key(value)
