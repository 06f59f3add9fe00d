"""Text cleaning for everything a user types, and the look-alike duplicate key.

Every stored text goes through :func:`clean` first. It keeps the user's own characters:
full-width Chinese punctuation （），：；“”《》 and full-width letters and digits are stored as
typed, never folded to ASCII. Cleaning only removes what nobody sees or means: control and
format characters (zero-width space/joiner, bidi marks, BOM, soft hyphen...), lone surrogates
and noncharacters; it collapses and trims whitespace and applies canonical composition (NFC,
which changes no visible character: "e" + U+0301 is stored as "é"). A NUL byte is refused
outright: it is never a typing mistake, and PostgreSQL cannot store it.

Compatibility folding (NFKC: full-width to ASCII, "㈱" to "(株)") belongs only where texts are
compared, never in what is stored and shown: :func:`fold`, :func:`company_key` and
:func:`duplicate_key` (the duplicate rule), :func:`search_terms` (the ledger search) and number
parsing (domain.money). Identifiers that are matched as keys rather than read as prose (user
names, e-mail addresses, task-force codes, currency codes, tags) are cleaned with
:func:`clean_identifier`, which does fold them: "ｗａｎｇ" typed with a full-width IME is the
user "wang", as it always was.
"""
import hashlib
import re
import unicodedata

NUL_MESSAGE = "{label}包含无效字符（NUL），请删除后重试。"

NAME_MAX = 100       # project, task-force and person names
LINE_MAX = 200       # one-line texts: investor, contact, region...
NOTE_MAX = 2000      # notes, problems, next steps, reasons

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Company-form suffixes set aside when two names are compared, in folded form, longest first.
COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司",
    "corporation", "limited", "coltd", "corp", "gmbh", "ltd", "inc", "llc",
)
_PUNCT_CATEGORIES = ("P", "S", "Z")
# Line and paragraph separators other than "\n" (after "\r\n"/"\r" became "\n"): vertical
# tab and form feed (Word's manual line/page break), NEL, U+2028/U+2029. Dropping them like
# other control characters would glue the words either side together.
_LINE_BREAKS = frozenset("\n\x0b\x0c\x85\u2028\u2029")
# Invisible characters that are not Cc/Cf (so :func:`normalize` keeps them), ignored when two
# texts are compared: combining grapheme joiner, Hangul fillers, Khmer inherent vowels,
# Mongolian free variation selectors, variation selectors (incl. ideographic variation
# sequences).
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f"
                        "\uffa0\U000e0100-\U000e01ef]")


def has_nul(value):
    return isinstance(value, str) and "\x00" in value


def _removed(ch):
    """Characters cleaning drops: controls and format characters (Cc, Cf), lone surrogates
    (Cs: no encoding can store them) and noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF: never
    characters by definition, and not allowed in the XML of an .xlsx). Private-use (Co) and,
    for this Python, unassigned (Cn) code points are kept: rare ideographs of newer CJK
    extensions and of older GB18030 mappings are among them."""
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
        return True
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _normalize(value, multiline, form):
    if value is None:
        return ""
    text = unicodedata.normalize(form, str(value))
    if text.isprintable():
        # The usual case, checked in C: no character of category Other (control, format,
        # surrogate, private-use, unassigned) or Separator but the ASCII space, so the loop
        # below would keep every character as it is; its only white space is " ", so
        # without a double one there is nothing to collapse.
        return text.strip() if "  " not in text else _SPACES.sub(" ", text).strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        if ch in _LINE_BREAKS:
            kept.append("\n" if multiline else " ")
        elif ch == "\t":
            kept.append(" ")
        elif not _removed(ch):
            kept.append(ch)
    # Once more: a removed character may have stood between a pair that composes
    # ("e", U+200B, U+0301 -> "e\u0301" -> "é"); without this normalize() is not idempotent.
    text = unicodedata.normalize(form, "".join(kept))
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return _SPACES.sub(" ", text).strip()


def normalize(value, *, multiline=False):
    """The stored form of a text: NFC, control/format characters removed, whitespace
    collapsed and trimmed. No width or compatibility folding: "（B）：，" stays "（B）：，".

    ``multiline`` keeps line breaks (notes), collapsing runs of blank lines. The caller
    refuses NUL first (:func:`clean`); here it is simply dropped like any control
    character. ``None`` becomes ``""``.
    """
    return _normalize(value, multiline, "NFC")


def identifier(value):
    """The stored form of an identifier matched as a key (user name, e-mail address,
    task-force code, currency code, tag): :func:`normalize` after NFKC, so full-width
    letters and digits typed with a Chinese IME are the ASCII ones ("ｗａｎｇ" is "wang")."""
    return _normalize(value, False, "NFKC")


def _checked(text, value, label, max_length, required):
    """``(text, error)``: NUL refused (judged on the raw ``value``), required, bounded."""
    if has_nul(value):
        return "", NUL_MESSAGE.format(label=label)
    if required and not text:
        return text, f"请填写{label}。"
    if len(text) > max_length:
        return text, f"{label}不能超过 {max_length} 个字（现为 {len(text)} 个字）。"
    return text, None


def clean(value, *, label, max_length, required=False, multiline=False):
    """The text as stored (:func:`normalize`: the user's characters, no folding) and an
    error message (or None): ``(text, error)``."""
    return _checked(normalize(value, multiline=multiline), value, label, max_length, required)


def clean_identifier(value, *, label, max_length, required=False):
    """:func:`clean` for an identifier (:func:`identifier`: NFKC-folded, one line)."""
    return _checked(identifier(value), value, label, max_length, required)


def clean_into(errors, field, value, *, label, max_length, required=False, multiline=False):
    """:func:`clean`, recording an error under ``field`` in ``errors``."""
    text, error = clean(value, label=label, max_length=max_length, required=required,
                        multiline=multiline)
    if error:
        errors.setdefault(field, error)
    return text


def fold(value):
    """Comparison form of a text: NFKC (width and compatibility forms folded), case-folded,
    control/format characters, punctuation, symbols, spaces and invisible variation
    selectors/fillers removed: the form the duplicate keys have always been made with (only
    private-use and unassigned code points, which cleaning now keeps, now count)."""
    text = _IGNORABLE.sub("", unicodedata.normalize("NFKC", identifier(value).casefold()))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in _PUNCT_CATEGORIES)
    # NFKC once more: what was removed may have stood between a pair NFKC composes.
    return unicodedata.normalize("NFKC", text)


def search_terms(value):
    """The texts a ledger search looks for, as substrings: what was typed (cleaned, as
    stored texts are) and, when it differs, its NFKC form, so "ＡＢＣ（一期）" also finds the
    "ABC(一期)" of rows typed in ASCII or stored before texts were kept as typed. Empty for
    a blank search."""
    typed = normalize(value)
    if not typed:
        return ()
    return tuple(dict.fromkeys((typed, identifier(typed))))


def company_key(value):
    """:func:`fold` with one company-form suffix (有限公司, Co., Ltd. ...) set aside."""
    text = fold(value)
    for suffix in COMPANY_SUFFIXES:
        if text.endswith(suffix):
            # A name that is nothing but a suffix stays whole ("有限公司" is not "有限").
            return text[: -len(suffix)] if len(text) > len(suffix) else text
    return text


def duplicate_key(name, investor):
    """The key two projects of one task force must not share, as 64 hex digits: look-alike
    names and investors (case, width, invisible characters, spacing, punctuation, a
    company-form suffix) give the same key."""
    joined = f"{company_key(name)}\x1f{company_key(investor)}"
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()
