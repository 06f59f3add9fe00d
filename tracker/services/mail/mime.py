"""An outbox row as the message that goes on the wire (bytes, CRLF line ends).

Headers are encoded by the standard library (``email.header`` for RFC 2047 encoded
words, ``email.utils`` for addresses and dates). The body structure is fixed --
multipart/alternative, a text/plain and a text/html part in UTF-8 -- so it is written
directly: the email package's generator costs ~10 ms per 40 KB summary, this well
under 1 ms. Tests parse the result with the standard library parser.
"""
import base64
import functools
import re
import secrets
from email import policy
from email.header import Header
from email.parser import BytesParser
from email.utils import format_datetime, formataddr

from markupsafe import escape

from ... import clock
from ...models.mail import RECIPIENT_MARK, UNSUBSCRIBE_MARK

FROM_NAME = "招商专班项目台账"
CRLF = b"\r\n"
MAX_8BIT_LINE = 990     # octets; SMTP allows 998 + CRLF
# email.header.Header does not count the space that starts a continuation line:
# 75 keeps every line that holds an encoded word within RFC 2047's 76 characters.
HEADER_LINE = 75


@functools.lru_cache(maxsize=4096)
def header_text(name, text):
    """The value of header ``name``: ASCII text as it is, other text as RFC 2047
    encoded words (UTF-8, "B"), folded between characters."""
    if text.isascii() and "\r" not in text and "\n" not in text:
        return text
    return Header(text, "utf-8", maxlinelen=HEADER_LINE, header_name=name).encode(
        linesep="\r\n")


@functools.lru_cache(maxsize=4096)
def address(header, name, addr):
    """``name <addr>`` for header ``header``: a plain ASCII name quoted as needed, any
    other name (non-ASCII, or holding a line break) as encoded words."""
    if not name:
        return addr
    if name.isascii() and "\r" not in name and "\n" not in name:
        return formataddr((name, addr))
    value = Header(name, "utf-8", maxlinelen=HEADER_LINE, header_name=header)
    value.append(f"<{addr}>", "us-ascii")
    return value.encode(linesep="\r\n")


def compact_html(html, width=900):
    """Greedily join the lines of an HTML body into lines of up to ``width`` octets,
    so it goes as 8bit in few lines (done once when the summary is built).
    A line break and a space are the same whitespace in HTML (no <pre> in mails)."""
    out, current, size = [], [], 0
    for line in html.replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        n = len(line.encode("utf-8")) + 1
        if current and size + n > width:
            out.append(" ".join(current))
            current, size = [], 0
        current.append(line)
        size += n
    if current:
        out.append(" ".join(current))
    return "\n".join(out)


def _wire(text):
    """A text in RFC 2046 form as bytes: UTF-8 with CRLF line ends."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _longest_line(data):
    return max(map(len, data.split(CRLF)), default=0)


_RECIPIENT = RECIPIENT_MARK.encode("utf-8")
_UNSUBSCRIBE = UNSUBSCRIBE_MARK.encode("utf-8")


class PartTemplate:
    """One part of a stored body in wire form, prepared once and filled in for each
    recipient: the bytes are kept in pieces around the marks (filled in as
    ``personalise`` does in the text) and the longest line is known from the lines
    that hold a mark, so a message is neither searched nor split into lines again."""
    __slots__ = ("pieces", "plain_longest", "marked")

    NAME, LINK = 0, 1

    def __init__(self, text):
        data = _wire(text)
        self.pieces = []
        for i, segment in enumerate(data.split(_UNSUBSCRIBE)):
            if i:
                self.pieces.append(self.LINK)
            for j, piece in enumerate(segment.split(_RECIPIENT)):
                if j:
                    self.pieces.append(self.NAME)
                self.pieces.append(piece)
        self.plain_longest, self.marked = 0, []
        for line in data.split(CRLF):
            names, links = line.count(_RECIPIENT), line.count(_UNSUBSCRIBE)
            if names or links:
                self.marked.append((len(line), names, links))
            elif len(line) > self.plain_longest:
                self.plain_longest = len(line)

    def fill(self, name, link):
        """(bytes, longest line) of the part with ``name`` and ``link`` put in;
        neither may hold a line break."""
        if not self.marked:
            return self.pieces[0], self.plain_longest
        name, link = name.encode("utf-8"), link.encode("utf-8")
        grow_name, grow_link = len(name) - len(_RECIPIENT), len(link) - len(_UNSUBSCRIBE)
        longest = max(self.plain_longest, max(
            size + names * grow_name + links * grow_link for size, names, links in self.marked))
        values = (name, link)
        return b"".join([values[p] if isinstance(p, int) else p for p in self.pieces]), longest


def _body_parts(row):
    """((text bytes, longest line), (html bytes, longest line)) of the row's message."""
    name, link = row.to_name, row.unsubscribe_url
    if "\r" in name or "\n" in name or "\r" in link or "\n" in link or RECIPIENT_MARK in link:
        text, html = _wire(row.body_text), _wire(row.body_html)   # lines change: no shortcut
        return (text, _longest_line(text)), (html, _longest_line(html))
    body = row.body
    templates = getattr(body, "_wire_templates", None)
    if templates is None:      # kept on the body instance: the rows of a run share it
        templates = body._wire_templates = (PartTemplate(body.body_text),
                                            PartTemplate(body.body_html))
    return (templates[0].fill(name, link),
            templates[1].fill(str(escape(name)), str(escape(link))))


def _text_part(content_type, data, longest, eight_bit):
    """One UTF-8 text part (``data`` in wire form, ``longest`` its longest line):
    8bit when allowed and every line fits, else base64."""
    if eight_bit and longest <= MAX_8BIT_LINE:
        encoding, body = "8bit", data    # the CRLF before the next boundary ends it
    else:
        encoding, body = "base64", base64.encodebytes(data).replace(b"\n", CRLF)
    return (f'Content-Type: {content_type}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n").encode("ascii") + body


def _headers(row, from_addr, boundary):
    headers = [
        ("From", address("From", FROM_NAME, from_addr)),
        ("To", address("To", row.to_name, row.to_addr)),
        ("Subject", header_text("Subject", row.subject)),
        ("Date", format_datetime(clock.now())),
        ("Message-ID", row.message_id),
        ("MIME-Version", "1.0"),
        ("Auto-Submitted", "auto-generated"),
        ("X-Tracker-Week", row.week),
    ]
    if row.unsubscribe_url:
        # Never folded or encoded: clients need the bare URL (RFC 2369, RFC 8058).
        headers.append(("List-Unsubscribe", f"<{row.unsubscribe_url}>"))
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
    return "".join(f"{name}: {value}\r\n" for name, value in headers).encode("ascii")


def build_mime(row, from_addr, eight_bit=True):
    """The message of an outbox row as it goes on the wire (bytes, CRLF line ends):
    multipart/alternative with a text/plain and a text/html part in UTF-8, sent as
    8bit (RFC 6152) when the server offers 8BITMIME, else base64."""
    boundary = f"=_tracker_{secrets.token_hex(12)}"
    sep = f"--{boundary}\r\n".encode("ascii")
    text, html = _body_parts(row)
    return b"".join([
        _headers(row, from_addr, boundary), CRLF,
        b"This is a multi-part message in MIME format.\r\n", CRLF,
        sep, _text_part("text/plain", *text, eight_bit), CRLF,
        sep, _text_part("text/html", *html, eight_bit), CRLF,
        f"--{boundary}--\r\n".encode("ascii"),
    ])


def message_headers(row, from_addr):
    """(name, decoded value) of every header of the row's message (for the preview)."""
    parsed = BytesParser(policy=policy.default).parsebytes(build_mime(row, from_addr),
                                                           headersonly=True)
    return [(name, str(value)) for name, value in parsed.items()]


def new_message_id(domain, *parts):
    """A fresh Message-ID ``<part.part....random@domain>``."""
    tail = ".".join(re.sub(r"[^A-Za-z0-9-]", "", str(p)) for p in parts if p != "")
    return f"<{tail}.{secrets.token_hex(6)}@{domain}>"
