"""The import template (issue 18, "The template"): a 填写说明 of its own for every column,
units in the amount headers, an example row the import skips, drop-downs of names only
(责任人: the people of the downloading person's task forces), long lists on a hidden sheet.
Runs on every backend (the ``db`` fixture)."""
import datetime
import io

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, range_boundaries

from tracker import clock
from tracker.domain import import_rules, pipeline
from tracker.services.imports import template, uploads
from tests.factories import make_county, make_task_force, make_user

LIMIT = 10 * 1024 * 1024
TITLES = [t for t, _ in import_rules.COLUMNS]
STAGE_DATE_TITLES = {import_rules.TITLES[f]: pipeline.label(s)
                     for s, f in pipeline.FIRST_REACHED_FIELD.items()}


@pytest.fixture
def world(db):
    team = make_task_force("TF1", "精细化工专班")
    other = make_task_force("TF2", "新能源专班")
    make_task_force("TF9", "停用专班", active=False)
    make_county("C1", "新抚区")
    make_county("C2", "望花区")
    admin = make_user("admin", role="admin", display_name="管理员")
    bureau = make_user("bureau", role="bureau", display_name="局领导")
    zhang = make_user("zhang", task_forces=[team], display_name="张专员（精细化工）")
    li = make_user("li", task_forces=[other], display_name="李专员（新能源）")
    make_user("wang", task_forces=[team, other], display_name="王科长")
    make_user("gone", task_forces=[team], display_name="离职人员", active=False)
    return dict(team=team, admin=admin, bureau=bureau, zhang=zhang, li=li)


def open_book(user):
    return load_workbook(io.BytesIO(template.template_xlsx(user)))


def dropdowns(book):
    """header title -> (the list its cells take, the validation's formula)."""
    sheet, out = book["项目台账"], {}
    for dv in sheet.data_validations.dataValidation:
        if dv.type != "list":
            continue
        column = str(dv.sqref).split(":")[0].rstrip("0123456789")
        title = sheet.cell(row=1, column=column_index_from_string(column)).value
        formula = dv.formula1
        if formula.startswith('"'):
            values = formula[1:-1].split(",")
        else:
            name, cells = formula.split("!")
            assert name == "'取值列表'"
            low_col, low_row, _, high_row = range_boundaries(cells.replace("$", ""))
            values = [book["取值列表"].cell(row=r, column=low_col).value
                      for r in range(low_row, high_row + 1)]
        out[title] = (values, formula)
    return out


def test_sheets_header_and_units(world):
    book = open_book(world["admin"])
    assert book.sheetnames == ["项目台账", "填写说明", "取值列表"]
    assert [s.sheet_state for s in book.worksheets] == ["visible", "visible", "hidden"]
    header = [c.value for c in book["项目台账"][1]]
    assert header == ["序号"] + TITLES
    assert "计划投资额（万元）" in header and "签约额（万元）" in header
    for title, key in import_rules.COLUMNS:
        assert import_rules.header_field(title).key == key
    assert import_rules.header_field("计划投资额（万元）").unit == "万元"
    assert import_rules.is_seq(header[0])


def test_every_column_has_its_own_note(world):
    rows = list(open_book(world["zhang"])["填写说明"].iter_rows(values_only=True))
    assert rows[0] == ("列名", "说明")
    notes = {title: text for title, text in rows[1:len(TITLES) + 2]}
    assert list(notes) == ["序号"] + TITLES
    assert len(set(notes.values())) == len(notes), "a column shares another column's text"
    expected = notes["预计签约日期"]
    assert "可以晚于今天" in expected and "不能晚于今天" not in expected
    owner = notes["责任人"]
    assert "不能晚于" not in owner and "日期" not in owner
    assert "用户名" in owner and "姓名" in owner and "您所在专班的成员" in owner
    for title, label in STAGE_DATE_TITLES.items():
        assert f"“{label}”" in notes[title] and "不能晚于今天" in notes[title]
    assert "万元" in notes["计划投资额（万元）"] and "万元" in notes["签约额（万元）"]
    assert "示例" in notes["序号"]
    assert "全部在用账号" in dict(open_book(world["admin"])["填写说明"].iter_rows(
        min_row=2, max_row=len(TITLES) + 2, values_only=True))["责任人"]
    listed = {r[0]: r[1] for r in rows[len(TITLES) + 2:] if r and r[0]}
    assert listed["所属专班"] == "精细化工专班"
    assert listed["责任人"] == "王科长、张专员（精细化工）"


def test_dropdowns_hold_names_only(world):
    found = dropdowns(open_book(world["admin"]))
    assert found["所属专班"][0] == ["精细化工专班", "新能源专班"]
    assert found["区县/开发区"][0] == ["新抚区", "望花区"]
    assert found["当前阶段"][0] == list(pipeline.LABELS.values())
    assert found["内外资"][0] == ["内资", "外资"]
    assert found["签约等级"][0] == ["正式合同", "框架协议", "意向"]
    # every active user for an admin, by user name; no deactivated one
    assert found["责任人"][0] == ["管理员", "局领导", "李专员（新能源）", "王科长",
                                 "张专员（精细化工）"]
    assert dropdowns(open_book(world["bureau"]))["责任人"] == found["责任人"]
    assert dropdowns(open_book(None))["责任人"] == found["责任人"]


def test_a_members_dropdowns_are_their_task_forces(world):
    found = dropdowns(open_book(world["zhang"]))
    assert found["所属专班"][0] == ["精细化工专班"]
    assert found["责任人"][0] == ["王科长", "张专员（精细化工）"]
    found = dropdowns(open_book(world["li"]))
    assert found["所属专班"][0] == ["新能源专班"]
    assert found["责任人"][0] == ["李专员（新能源）", "王科长"]


def test_a_list_over_255_characters_is_a_range_of_the_hidden_sheet(world):
    names = [f"第{i:02d}精细化工产业链招商专班" for i in range(30)]
    for i, name in enumerate(names):
        make_task_force(f"X{i:02d}", name)
    book = open_book(world["admin"])
    found = dropdowns(book)
    values, formula = found["所属专班"]
    assert formula.startswith("'取值列表'!") and len("".join(names)) > 255
    assert values == ["精细化工专班", "新能源专班"] + names
    assert found["内外资"][1] == '"内资,外资"'       # short lists stay inline
    for _, formula in found.values():
        assert formula.startswith("'") or len(formula) <= 255
    assert template.inline_formula(["a,b"]) is None


def test_the_example_row_is_marked_and_skipped(world):
    sheet = open_book(world["zhang"])["项目台账"]
    example = {title: cell.value for title, cell in zip(["序号"] + TITLES, sheet[2])}
    assert example["序号"].startswith("注：示例")
    assert example["所属专班"] == "精细化工专班" and example["责任人"] == "王科长"
    assert example["当前阶段"] == "洽谈"
    assert example["预计签约日期"].date() > clock.today()
    assert example["洽谈日期"].date() <= clock.today()
    assert all(c.font.italic for c in sheet[2])
    assert import_rules.skip_reason(list(example.values()), name=example["项目名称"],
                                    seq=example["序号"])
    assert sheet.max_row == 2


@pytest.mark.parametrize("who", ["admin", "zhang", None])
def test_the_untouched_template_imports_nothing(world, who):
    user = world[who] if who else None
    result = uploads.preview_bytes(user, template.template_xlsx(user), "模板.xlsx", LIMIT)
    assert result.rows == [] and result.errors == []
    assert result.sheet == "项目台账"
    assert [(first, last) for first, last, _ in result.skipped] == [(2, 2)]


def test_the_example_row_without_its_mark_is_a_valid_project(world):
    book = open_book(world["zhang"])
    book["项目台账"]["A2"] = None
    out = io.BytesIO()
    book.save(out)
    result = uploads.preview_bytes(world["zhang"], out.getvalue(), "t.xlsx", LIMIT)
    assert [(r.status, r.errors) for r in result.rows] == [("new", [])]
    row = result.rows[0]
    assert row.team == world["team"] and row.fields["planned_investment"] == 120000
    assert row.fields["expected_sign_date"] > clock.today()
    assert [s for s, _ in row.events] == ["packaged", "negotiating"]
    assert isinstance(row.fields["expected_sign_date"], datetime.date)
