"""A .csv (or tab-separated text) read into rows: the encoding found by strict decodes (UTF-8
with or without BOM, UTF-16 with BOM, else GB18030, the superset of the GBK that Excel and
WPS write on a Chinese Windows), the delimiter sniffed among comma, tab and semicolon,
quoted fields (with commas and line breaks inside) as Excel writes them. Every value is
text; a field starting with "=" is flagged as a formula by parse, as for a workbook.

Raises ``Refused(message)`` (zipped.Refused) for text that is not a table."""
import codecs
import csv
import io
import itertools
import re

from .zipped import BROKEN, Refused

DELIMITERS = (",", "\t", ";")
SAMPLE_LINES = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NOT_A_TABLE = ("文件不是 Excel/WPS 表格（.xlsx、.xls、.ods）或 CSV 文本文件。请上传由 Excel、WPS 或 "
               "LibreOffice 保存的文件。")


def decode(data):
    """``(text, encoding)``; raises Refused when no encoding reads it as text."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.rstrip("\x1a")   # the end-of-file mark of old DOS tools
        if _CONTROL.search(text):   # binary that happens to decode
            break
        return text, encoding
    raise Refused(NOT_A_TABLE)


def _delimiter(text):
    lines = (line for line in io.StringIO(text) if line.strip())
    sample = list(itertools.islice(lines, SAMPLE_LINES))
    best, score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        found = (sum(count > 1 for count in counts), max(counts, default=0))
        if found > score:
            best, score = delimiter, found
    return best


def rows(data, limit):
    """``(encoding, [(row number, values)])``: the first ``limit`` non-empty rows, numbered
    from 1 as a spreadsheet numbers them (a line break inside quotes continues the row)."""
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    found = []
    try:
        for number, values in enumerate(reader, start=1):
            if any(v.strip() for v in values):
                found.append((number, values))
                if len(found) >= limit:
                    break
    except csv.Error as exc:
        raise Refused(BROKEN.format(f"CSV 第 {reader.line_num} 行：{exc}")) from None
    return encoding, found
