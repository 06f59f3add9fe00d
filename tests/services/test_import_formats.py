"""Import formats (issue 18): the same ledger as .xlsx, .xls (WPS-style BIFF8), .ods and .csv
(UTF-8, UTF-8 with BOM, GBK, UTF-16; comma, tab, semicolon) gives the same rows; hostile and
broken files of every format are refused with a zh-CN message, never an exception."""
import datetime
import io
import random
import struct
import zipfile

import pytest

from tracker.domain import import_rules
from tracker.services.imports import parse, sheets, uploads
from tests.factories import make_county, make_task_force, make_user
from tests.services.import_files import (
    HIDDEN_STYLE, compound_file, csv_bytes, ods_bytes, ods_table, replace_member,
    with_shared_strings, xls_bytes, xlsx_bytes,
)

LIMIT = 10 * 1024 * 1024
HEADER = ["项目名称", "所属专班", "区县/开发区", "计划投资额（万元）", "当前阶段", "策划包装日期",
          "联系人", "下一步工作"]


def ledger():
    year = datetime.date.today().year - 1
    return [HEADER,
            ["精细化工新材料项目", "TF1", "C1", 12000, "策划包装", f"{year}年3月5日", "13800000000",
             '对接投资方，"签约"前\n再核对'],
            ["（B）轮扩建，一期", "TF1", None, 1500.5, "储备/谋划", None, "张三", None],
            [None] * len(HEADER),
            ["氢能项目", "TF1", "C1", 800, "策划包装", f"{year}.4.1", None, "分号; 和\t制表符"]]


def workbooks():
    rows = ledger()
    return {"xlsx": xlsx_bytes(rows), "xls": xls_bytes(rows), "ods": ods_bytes(rows)}


def texts():
    rows = ledger()
    return {"utf-8": csv_bytes(rows), "utf-8-sig": csv_bytes(rows, "utf-8-sig"),
            "gbk": csv_bytes(rows, "gbk"), "utf-16": csv_bytes(rows, "utf-16"),
            "tab": csv_bytes(rows, delimiter="\t"), "semicolon": csv_bytes(rows, "gbk", ";")}


def refused(data, limit=LIMIT):
    with pytest.raises(parse.FileRefused) as caught:
        parse.parse(data, limit)
    return str(caught.value)


def test_the_same_ledger_in_every_format_gives_the_same_rows():
    parsed = {kind: parse.parse(data, LIMIT) for kind, data in {**workbooks(), **texts()}.items()}
    want = parsed["xlsx"]
    assert [n for n, _, _ in want.rows] == [2, 3, 5]
    assert want.rows[0][1]["planned_investment"] == 12000 and want.rows[0][1]["contact"] == \
        "13800000000"
    for kind in ("xls", "ods"):
        assert (parsed[kind].sheet, parsed[kind].columns, parsed[kind].rows) == \
            (want.sheet, want.columns, want.rows), kind
    as_text = [(n, {k: None if v is None else str(v) for k, v in data.items()}, errors)
               for n, data, errors in want.rows]
    for kind in texts():
        assert (parsed[kind].sheet, parsed[kind].columns, parsed[kind].rows) == \
            ("CSV", want.columns, as_text), kind


@pytest.fixture
def world(db):
    make_task_force("TF1")
    make_county("C1", "新抚区")
    return make_user("admin", role="admin")


def test_every_format_previews_the_same(world):
    seen = {}
    for kind, data in {**workbooks(), **texts()}.items():
        result = uploads.preview_bytes(world, data, f"台账.{kind}", LIMIT)
        seen[kind] = [(r.number, r.status, r.name, r.fields, r.events, r.errors)
                      for r in result.rows]
    assert [status for _, status, *_ in seen["xlsx"]] == ["new"] * 3, seen["xlsx"]
    assert all(rows == seen["xlsx"] for rows in seen.values()), seen


def test_date_and_number_cells_of_every_workbook_format():
    day = datetime.date(2025, 3, 5)
    rows = [["项目名称", "计划投资额（万元）", "策划包装日期"], ["甲", 100, day], ["乙", 0.5, None]]
    for data in (xlsx_bytes(rows), xls_bytes(rows), ods_bytes(rows)):
        (_, first, _), (_, second, _) = parse.parse(data, LIMIT, need_task_force=False).rows
        assert import_rules.parse_date(first["packaged_on"]) == (day, None)
        assert (first["planned_investment"], second["planned_investment"]) == (100, 0.5)


def test_csv_encodings_quotes_and_what_is_not_a_table():
    rows = [["项目名称", "计划投资额（万元）", "下一步工作"], ["𠀀项目", "1,000", "a,b\n第二行"]]
    for encoding in ("utf-8", "gb18030", "utf-16"):
        sheet = sheets.read(csv_bytes(rows, encoding), "项目台账", 100)
        assert sheet.rows == [(1, rows[0]), (2, rows[1])] and sheet.encoding.startswith(
            encoding.split("-")[0].replace("gb", "gb"))
    assert "不是 Excel" in refused(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert "不是 Excel" in refused("项目名称,所属专班\n甲\x00,TF1\n".encode())
    noise = random.Random(1)
    assert "不是 Excel" in refused(bytes(noise.randrange(256) for _ in range(4096)))


def test_formulas_are_errors_of_their_cell_in_every_format():
    rows = [["项目名称", "所属专班", "计划投资额（万元）"], ["甲", "TF1", "=100*2"]]
    for kind, data in (("xlsx", xlsx_bytes(rows)), ("xls", xls_bytes(rows)),
                       ("ods", ods_bytes(rows)), ("csv", csv_bytes(rows))):
        (number, values, errors), = parse.parse(data, LIMIT).rows
        assert number == 2 and values["planned_investment"] is None, kind
        assert "公式" in errors["planned_investment"], kind
    # a cached value does not hide the formula (.xlsx written by Excel keeps one)
    cached = replace_member(xlsx_bytes([rows[0], ["甲", "TF1", 5]]), "xl/worksheets/sheet1.xml",
                            lambda xml: xml.replace(b'<c r="C2" t="n"><v>5</v>',
                                                    b'<c r="C2"><f>2+3</f><v>5</v>'))
    (_, _, errors), = parse.parse(cached, LIMIT).rows
    assert "=2+3" in errors["planned_investment"]


def _merge_header(kind, rows, title_row=False):
    """``rows`` with A1:B1 (or, with a title row above, the title A1:C1) merged."""
    if kind == "xlsx":
        return xlsx_bytes(rows, lambda book, sheet: sheet.merge_cells("A1:B1" if not title_row
                                                                       else "A1:C1"))
    if kind == "xls":
        last = 2 if title_row else 1
        covered = [list(rows[0][:1]) + [None] * last + list(rows[0][last + 1:])] + rows[1:]

        def merge(book, sheet):
            sheet.merge(0, 0, 0, last)
        return xls_bytes(covered, merge)
    span = 3 if title_row else 2
    return ods_bytes(tables=ods_table(rows).replace(
        "<table:table-cell ", f'<table:table-cell table:number-columns-spanned="{span}" ', 1))


def test_merged_header_cells_are_refused_and_a_merged_title_is_not():
    header = ["项目名称", "所属专班", "计划投资额（万元）"]
    for kind in ("xlsx", "xls", "ods"):
        assert "合并单元格 A1:B1" in refused(_merge_header(kind, [header, ["甲", "TF1", 1]])), kind
        titled = [["2026年精细化工专班招商项目台账", None, None], header, ["甲", "TF1", 1]]
        assert [n for n, _, _ in parse.parse(_merge_header(kind, titled, True), LIMIT).rows] == \
            [3], kind


def test_a_hidden_data_sheet_is_refused_in_every_format():
    rows = [["项目名称", "所属专班", "计划投资额（万元）"], ["甲", "TF1", 1]]

    def hide_xlsx(book, sheet):
        sheet.sheet_state = "hidden"
        book.create_sheet("其他")

    def hide_xls(book, sheet):
        sheet.visibility = 1
        book.add_sheet("其他")
    hidden_ods = ods_bytes(tables=ods_table(rows, attrs='table:style-name="hidden"')
                           + ods_table([["x"]], "其他"), styles=HIDDEN_STYLE)
    for data in (xlsx_bytes(rows, hide_xlsx), xls_bytes(rows, hide_xls), hidden_ods):
        assert "隐藏" in refused(data)


def test_password_protected_files_get_a_clear_message():
    encrypted_xlsx = compound_file({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage":
                                    b"\x00" * 5000})
    assert "密码" in refused(encrypted_xlsx)
    xls = bytearray(xls_bytes([["项目名称"], ["甲"]]))
    codepage = xls.find(b"\x42\x00\x02\x00")   # the CODEPAGE record becomes a FILEPASS
    xls[codepage:codepage + 2] = b"\x2f\x00"
    assert "密码" in refused(bytes(xls))
    encrypted_ods = ods_bytes([["项目名称"]], manifest_extra="<manifest:encryption-data/>")
    assert "密码" in refused(encrypted_ods)
    assert "Word" in refused(compound_file({"WordDocument": b"x"}))
    assert "不是 Excel" in refused(compound_file({"Other": b"x"}))


SHEET_XML = "xl/worksheets/sheet1.xml"
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else
                                                   b"&lol;" * 10) for i in range(1, 10)) + b"]>")


def _broken_files():
    good = xlsx_bytes(ledger())
    yield "truncated xlsx", good[:len(good) // 2]
    yield "truncated sheet XML", replace_member(good, SHEET_XML, lambda x: x[:len(x) - 100])
    yield "undefined entity", replace_member(good, SHEET_XML,
                                             lambda x: x.replace(b"<v>12000</v>", b"<v>&foo;</v>"))
    yield "billion laughs", replace_member(good, SHEET_XML, lambda x: LAUGHS + x.replace(
        b"<v>12000</v>", b"<v>&lol9;</v>"))
    yield "malformed docProps", replace_member(good, "docProps/app.xml", lambda x: x[:-5])
    yield "malformed workbook.xml", replace_member(good, "xl/workbook.xml", lambda x: x[:-20])
    xls = xls_bytes(ledger())
    yield "truncated xls", xls[:len(xls) // 2]
    ods = ods_bytes(ledger())
    yield "truncated ods", ods[:len(ods) - 30]
    yield "malformed content.xml", replace_member(ods, "content.xml", lambda x: x[:-40])
    yield "entity in content.xml", replace_member(ods, "content.xml",
                                                  lambda x: x.replace("张三".encode(), b"&zs;"))


@pytest.mark.parametrize("label, data", list(_broken_files()), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_broken_files_are_refused_as_damaged(label, data):
    assert "损坏" in refused(data)


def test_damaged_bytes_anywhere_never_escape_as_an_exception():
    """Cut or flip bytes of each format: the parse answers rows or FileRefused, nothing else."""
    pick = random.Random(18)
    for data in workbooks().values():
        for _ in range(40):
            broken = bytearray(data[:pick.randrange(len(data))] if pick.random() < 0.4 else data)
            for _ in range(pick.randrange(1, 8)):
                if broken:
                    broken[pick.randrange(len(broken))] = pick.randrange(256)
            try:
                parse.parse(bytes(broken), LIMIT)
            except parse.FileRefused as exc:
                assert str(exc)


def test_rows_beyond_the_declared_dimension_are_read():
    rows = [["项目名称", "所属专班", "计划投资额（万元）"]] + [[f"p{i}", "TF1", i] for i in range(5)]
    data = replace_member(xlsx_bytes(rows), SHEET_XML, lambda x: x.replace(
        b'<dimension ref="A1:C6"/>', b'<dimension ref="A1:C2"/>'))
    assert b'ref="A1:C2"' in zipfile.ZipFile(io.BytesIO(data)).read(SHEET_XML)
    assert [values["name"] for _, values, _ in parse.parse(data, LIMIT).rows] == \
        [f"p{i}" for i in range(5)]


def test_a_sheet_reaching_far_is_refused_before_the_reader_allocates_it():
    """Two cells at opposite corners would make the reader allocate the whole rectangle
    (16,384 x 1,048,576 cells: the process aborts): the extent is judged first."""
    far = replace_member(xlsx_bytes([["项目名称"], ["甲"]]), SHEET_XML, lambda x: x.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))
    assert "数据区域过大" in refused(far)

    def corner(book, sheet):
        sheet.write(65535, 255, 1)
    assert "数据区域过大" in refused(xls_bytes([["项目名称"], ["甲"]], corner))
    repeated = ods_table([["项目名称"]], tail='<table:table-row table:number-rows-repeated="100000">'
                         '<table:table-cell table:number-columns-repeated="1000" '
                         'office:value-type="float" office:value="1"/></table:table-row>')
    assert "数据区域过大" in refused(ods_bytes(tables=repeated))
    no_reference = replace_member(xlsx_bytes([["项目名称"], ["甲"]]), SHEET_XML, lambda x: x.replace(
        b'<c r="A2" ', b"<c "))
    assert "缺少位置" in refused(no_reference)
    beyond_xfd = replace_member(xlsx_bytes([["项目名称"], ["甲"]]), SHEET_XML, lambda x: x.replace(
        b'<c r="A2" ', b'<c r="ZZZZ2" '))
    assert "位置无效" in refused(beyond_xfd)
    # a shared-string table declaring 10^11 strings: the reader would reserve 2.4 TB first
    rows = [["项目名称", "计划投资额（万元）"], ["x", 1]]
    assert parse.parse(with_shared_strings(xlsx_bytes(rows), 1), LIMIT,
                       need_task_force=False).rows[0][1]["name"] == "共享"
    assert "字符串数目" in refused(with_shared_strings(xlsx_bytes(rows), 10**11))
    wide = csv_bytes([["项目名称"] + ["x"] * 16_384])
    assert "数据区域过大" in refused(wide)
    # empty repeated rows and columns (as LibreOffice writes them) cost nothing
    empty = ods_table([["项目名称", "所属专班", "计划投资额（万元）"], ["甲", "TF1", 1]],
                      tail='<table:table-row table:number-rows-repeated="1048574">'
                      '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>')
    assert len(parse.parse(ods_bytes(tables=empty), LIMIT).rows) == 1


def test_zip_bombs_and_size_in_every_format():
    big = {"Pictures/big.xml": b"<a>" + b" " * (300 * 1024 * 1024) + b"</a>"}
    assert "压缩炸弹" in refused(ods_bytes([["项目名称"]], members=big))
    for data in workbooks().values():
        assert "过大" in refused(data, limit=1000)
    assert "过大" in refused(csv_bytes(ledger()), limit=100)


def test_too_many_rows_in_every_format(monkeypatch):
    monkeypatch.setattr(import_rules, "MAX_ROWS", 3)
    rows = [["项目名称", "所属专班", "计划投资额（万元）"]] + [[f"p{i}", "TF1", 1] for i in range(4)]
    for data in (xlsx_bytes(rows), xls_bytes(rows), ods_bytes(rows), csv_bytes(rows)):
        assert "超过 3 行" in refused(data)
    assert len(parse.parse(csv_bytes(rows[:4]), LIMIT).rows) == 3


def test_the_ole2_reader_follows_only_chains_inside_the_file():
    data = bytearray(compound_file({"Workbook": b"\x09\x08" + b"\x00" * 100}))
    struct.pack_into("<I", data, 512 + 4 * 2, 2)   # the stream's chain loops on itself
    assert "损坏" in refused(bytes(data))
    struct.pack_into("<I", data, 0x30, 10_000)     # the directory lies outside the file
    assert "损坏" in refused(bytes(data))
