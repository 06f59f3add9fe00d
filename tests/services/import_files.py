"""Files of every import format built the way offices make them, for the import tests:
.xlsx (openpyxl), .xls (xlwt: the BIFF8 that WPS and Excel 97-2003 write), .ods (a minimal
OpenDocument zip written here: mimetype, content.xml, META-INF/manifest.xml), .csv in a
given encoding and delimiter, and an OLE2 compound file with given streams (how Excel
stores an encrypted .xlsx: EncryptionInfo + EncryptedPackage)."""
import csv
import datetime
import io
import re
import struct
import zipfile
from xml.sax.saxutils import escape, quoteattr

import xlwt
from openpyxl import Workbook

SHEET = "项目台账"


def xlsx_bytes(rows, edit=None, title=SHEET):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    if edit:
        edit(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_bytes(rows, edit=None, title=SHEET):
    """A BIFF8 .xls; a text starting with "=" is written as a formula (no cached value, as
    xlwt writes it)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(title)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str) and value.startswith("="):
                sheet.write(r, c, xlwt.Formula(value[1:]))
            elif isinstance(value, datetime.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    if edit:
        edit(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"')
MANIFEST_NS = 'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
HIDDEN_STYLE = ('<style:style style:name="hidden" style:family="table">'
                '<style:table-properties table:display="false"/></style:style>')


def ods_cell(value, attrs=""):
    if value is None:
        return f"<table:table-cell {attrs}/>"
    if isinstance(value, str) and value.startswith("="):
        return (f'<table:table-cell {attrs} table:formula={quoteattr("of:" + value)} '
                'office:value-type="float" office:value="100"><text:p>100</text:p></table:table-cell>')
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, (int, float)):
        return (f'<table:table-cell {attrs} office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if isinstance(value, datetime.date):
        return (f'<table:table-cell {attrs} office:value-type="date" '
                f'office:date-value="{value.isoformat()}"><text:p>{value}</text:p></table:table-cell>')
    lines = "".join(f"<text:p>{escape(line)}</text:p>" for line in value.split("\n"))
    return f'<table:table-cell {attrs} office:value-type="string">{lines}</table:table-cell>'


def ods_table(rows, title=SHEET, attrs="", tail=""):
    body = "".join("<table:table-row>" + "".join(ods_cell(v) for v in row) + "</table:table-row>"
                   for row in rows)
    return f"<table:table table:name={quoteattr(title)} {attrs}>{body}{tail}</table:table>"


def ods_bytes(rows=None, tables=None, styles="", manifest_extra="", content=None, members=None):
    """An .ods of ``tables`` (XML of table:table elements), or of one table of ``rows``."""
    tables = tables if tables is not None else ods_table(rows)
    content = content if content is not None else (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} '
        f'office:version="1.2"><office:automatic-styles>{styles}</office:automatic-styles>'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>")
    manifest = (f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest {MANIFEST_NS}>'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                f'manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}'
                "</manifest:file-entry></manifest:manifest>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        for name, data in (members or {}).items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", delimiter=","):
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(
        ["" if v is None else v.isoformat() if isinstance(v, datetime.date) else v for v in row]
        for row in rows)
    return out.getvalue().encode(encoding)


def compound_file(streams):
    """An OLE2 compound file (MS-CFB, version 3, 512-byte sectors) holding ``streams``
    (name -> bytes), each padded to 4,096 bytes or more so that it lives in regular sectors."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    padded = {name: data + b"\0" * max(0, 4096 - len(data)) for name, data in streams.items()}
    fat, body, entries, sector = [0xFFFFFFFD, end], b"", [], 2
    for name, data in padded.items():
        count = -(-len(data) // 512)
        fat += [sector + i + 1 for i in range(count - 1)] + [end]
        body += data + b"\0" * (count * 512 - len(data))
        entries.append((name, 2, sector, len(data)))
        sector += count
    assert len(fat) <= 128 and len(entries) <= 3
    fat += [free] * (128 - len(fat))
    directory = b""
    for index, (name, kind, start, size) in enumerate([("Root Entry", 5, end, 0)] + entries):
        raw = name.encode("utf-16-le")
        right = index + 1 if 0 < index < len(entries) else free
        child = 1 if index == 0 and entries else free
        directory += (raw + b"\0" * (64 - len(raw)) + struct.pack(
            "<HBBIII16sIQQIQ", len(raw) + 2, kind, 1, free, right, child, b"", 0, 0, 0, start, size))
    directory += b"\0" * (512 - len(directory))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack(
        "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    return header + struct.pack("<128I", *fat) + directory + body


def replace_member(data, name, change):
    """``data`` (a zip) with member ``name`` replaced by ``change(old bytes)``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            content = source.read(member.filename)
            archive.writestr(member.filename, change(content) if member.filename == name else content)
    return out.getvalue()


def with_shared_strings(data, unique_count):
    """``data`` (an .xlsx of openpyxl) with a shared-string table declaring ``unique_count``
    strings, and cell A2 reading its first string ("共享")."""
    table = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
             f'uniqueCount="{unique_count}"><si><t>共享</t></si></sst>').encode()
    rel = (b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    kind = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    data = replace_member(data, "xl/_rels/workbook.xml.rels",
                          lambda xml: xml.replace(b"</Relationships>", rel))
    data = replace_member(data, "[Content_Types].xml", lambda xml: xml.replace(b"</Types>", kind))
    data = replace_member(data, "xl/worksheets/sheet1.xml", lambda xml: re.sub(
        rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="s"><v>0</v></c>', xml))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as archive:
        for member in source.infolist():
            archive.writestr(member, source.read(member.filename))
        archive.writestr("xl/sharedStrings.xml", table, zipfile.ZIP_DEFLATED)
    return out.getvalue()
