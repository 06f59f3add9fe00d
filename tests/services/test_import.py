"""Excel import (issue "Excel in and out"): preview, commit, duplicates, rollback, hostile
files. Runs on every backend (the ``db`` fixture)."""
import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from tracker import clock
from tracker.domain import import_rules
from tracker.domain.errors import ValidationError
from tracker.models import AmountChange, AuditLog, ImportBatchProject, Project, StageEvent
from tracker.services.figures import monthly
from tracker.services.imports import (commit as import_commit, plan,
    uploads)
from tracker.services.ledger import export
from tracker.services.imports import bulk as project_bulk
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tests.factories import make_county, make_project, make_task_force, make_user

P = backfill_ledger(ledger_projects)

LIMIT = 10 * 1024 * 1024
TITLES = [t for t, _ in import_rules.COLUMNS]


def book_bytes(rows, header=TITLES, edit=None):
    """An .xlsx with ``header`` in row 1 and ``rows`` (dicts by title) below it."""
    book = Workbook()
    sheet = book.active
    sheet.title = "项目台账"
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(t) for t in header])
    if edit:
        edit(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(**kw):
    base = {"项目名称": "新材料项目", "所属专班": "TF1", "计划投资额（万元）": 1000}
    base.update({import_rules.TITLES.get(import_rules.header_key(k), k): v for k, v in kw.items()})
    return base


def last_year(month, day):
    return datetime.date(clock.today().year - 1, month, day)


@pytest.fixture
def world(db):
    team, other = make_task_force("TF1"), make_task_force("TF2")
    county = make_county("C1", "新抚区")
    admin = make_user("admin", role="admin")
    member = make_user("member", role="member", task_forces=[team])
    return dict(team=team, other=other, county=county, admin=admin, member=member)


def preview(user, rows, **kw):
    return uploads.preview_bytes(user, book_bytes(rows), "t.xlsx", LIMIT, **kw)


def test_round_trip_export_import_changes_nothing(world):
    admin, team = world["admin"], world["team"]
    make_project(team, "=SUM(A1)", user=admin, investor="某集团有限公司", county=world["county"],
                 stage="signed", contract_value="500", signing_grade="contract",
                 on=last_year(3, 1), tags=["央企"], expected_sign_date=last_year(2, 1),
                 owner=world["member"].id)
    dropped = make_project(team, "项目B", user=admin, on=last_year(1, 5))
    P.change_stage(admin, dropped.id, "negotiating", on=last_year(2, 1))
    P.change_stage(admin, dropped.id, "dropped", on=last_year(2, 3), reason="撤回")
    data = export.export_xlsx(Project.select())
    result = uploads.preview_bytes(admin, data, "export.xlsx", LIMIT)
    assert [(r.status, r.changes, r.errors) for r in result.rows] == [("unchanged", {}, [])] * 2
    before = Project.select().count(), StageEvent.select().count()
    batch = import_commit.commit(admin, result, on_duplicate="update")
    assert (batch.created, batch.updated, batch.unchanged) == (0, 0, 2)
    assert (Project.select().count(), StageEvent.select().count()) == before


def test_new_rows_get_their_dated_stage_history(world):
    rows = [row(项目名称="A", 当前阶段="签约", 签约额="300", 策划包装日期=last_year(1, 10),
                洽谈日期="%d年2月5日" % last_year(1, 1).year,
                签约日期="%d.3.5" % last_year(1, 1).year),
            row(项目名称="B", 当前阶段="退库", 洽谈日期="%d/4/1" % last_year(1, 1).year,
                退库原因="投资方撤回", 区县="C1")]
    result = preview(world["admin"], rows)
    assert [r.status for r in result.rows] == ["new", "new"]
    batch = import_commit.commit(world["admin"], result)
    a = Project.get(Project.name == "A")
    assert (a.stage, a.packaged_on, a.negotiating_on, a.signed_on, a.contract_value) == (
        "signed", last_year(1, 10), last_year(2, 5), last_year(3, 5), 300)
    assert [e.stage for e in a.stage_events.order_by(StageEvent.id)] == \
        ["packaged", "negotiating", "signed"]
    b = Project.get(Project.name == "B")
    assert (b.stage, b.drop_reason, b.county.code) == ("dropped", "投资方撤回", "C1")
    assert batch.created == 2 and ImportBatchProject.select().count() == 2
    audit = AuditLog.get(AuditLog.entity == "import_batch")
    assert '"created": 2' in audit.after and "t.xlsx" in audit.after
    assert [p.name for _, p in import_commit.batch_projects(batch.id)[1]] == ["A", "B"]


def test_each_error_has_its_row_and_column(world):
    future = clock.today() + datetime.timedelta(days=3)
    rows = [row(项目名称=""), row(项目名称="x1", 计划投资额="abc"),
            row(项目名称="x2", 所属专班="NOPE"), row(项目名称="x3", 当前阶段="完成"),
            row(项目名称="x4", 区县="火星"), row(项目名称="x5", 当前阶段="洽谈", 洽谈日期=future),
            row(项目名称="x6", 当前阶段="洽谈", 洽谈日期="1990-01-01"),
            row(项目名称="x7", 所属专班="TF2"), row(项目名称="x8", 当前阶段="洽谈"),
            row(项目名称="x9", 洽谈日期="2026年2月30日", 当前阶段="洽谈")]
    result = preview(world["member"], rows)
    found = {(number, column): message for number, column, _, message in result.errors}
    letter = {key: chr(ord("A") + i) for i, (_, key) in enumerate(import_rules.COLUMNS)}
    expect = {(2, "name"): "请填写项目名称", (3, "planned_investment"): "数字",
              (4, "task_force"): "不存在", (5, "stage"): "无效", (6, "county"): "不存在",
              (7, "negotiating_on"): "不能晚于今天", (8, "negotiating_on"): "必须在",
              (9, "task_force"): "无权导入", (10, "negotiating_on"): "请填写洽谈日期",
              (11, "negotiating_on"): "不存在"}
    for (number, key), text in expect.items():
        assert text in found[(number, letter[key])], (number, key, found)
    assert result.count("error") == len(rows)
    with pytest.raises(ValidationError):
        import_commit.commit(world["member"], result)
    assert Project.select().count() == 0


def test_duplicates_in_the_file_and_against_the_ledger(world):
    admin = world["admin"]
    make_project(world["team"], "甲项目", user=admin, investor="某某有限公司",
                 planned_investment="100", on=last_year(1, 1))
    rows = [row(项目名称="甲 项目", 投资方="某某", 计划投资额="150"),   # ledger twin, changed
            row(项目名称="乙项目"), row(项目名称="ＩＩ乙项目".replace("ＩＩ", "")),  # file twin
            row(项目名称="甲项目", 投资方="某某公司", 计划投资额="100")]  # file twin of row 2
    result = preview(admin, rows)
    assert [r.status for r in result.rows] == ["update", "new", "duplicate", "duplicate"]
    assert result.rows[2].duplicate_of == 3 and result.rows[3].duplicate_of == 2
    skipped = import_commit.commit(admin, result)
    assert (skipped.created, skipped.updated, skipped.skipped) == (1, 0, 3)
    assert Project.get(Project.name == "甲项目").planned_investment == 100
    result = preview(admin, rows)
    batch = import_commit.commit(admin, result, choices={2: "update"})
    assert (batch.created, batch.updated) == (0, 1)
    project = Project.get(Project.name == "甲项目")
    assert project.planned_investment == 150
    change = AmountChange.get(AmountChange.project == project.id)
    assert change.kind == "correction" and f"批次 {batch.id}" in change.reason


def test_one_row_failing_at_commit_rolls_everything_back(world):
    admin = world["admin"]
    result = preview(admin, [row(项目名称="一"), row(项目名称="二"), row(项目名称="三")])
    make_project(world["team"], "三", user=admin)  # a twin committed meanwhile
    with pytest.raises(ValidationError) as caught:
        import_commit.commit(admin, result)
    assert "第 4 行（三）" in caught.value.errors["__all__"]
    assert [p.name for p in Project.select()] == ["三"]
    assert import_commit.batches() == []


# --- the bulk commit writes what the services write row by row -----------------------

def _mixed_rows():
    """Rows through every path of the write path: each stage, skipped and same-day stages,
    signed later (the value moves to the signing event), moved back, dropped, 最近进展日期."""
    y = last_year(1, 1).year
    d = last_year
    return [
        {"项目名称": "储备", "计划投资额（万元）": 100, "当前阶段": "储备/谋划", "企业标签": "央企，外资"},
        {"项目名称": "储备进展", "计划投资额（万元）": 100, "最近进展日期": d(4, 2)},
        {"项目名称": "包装", "计划投资额（万元）": "1,000.005", "当前阶段": "策划包装",
         "策划包装日期": d(1, 31), "区县/开发区": "C1", "责任人": "member"},
        {"项目名称": "洽谈", "投资方": "某某有限公司", "计划投资额（万元）": 300, "当前阶段": "洽谈",
         "策划包装日期": d(2, 1), "洽谈日期": f"{y}年3月1日", "预计签约日期": d(12, 1)},
        {"项目名称": "后签约", "计划投资额（万元）": 500, "当前阶段": "签约", "签约额（万元）": 450,
         "签约等级": "框架协议", "策划包装日期": d(2, 1), "洽谈日期": d(3, 1), "签约日期": d(5, 20)},
        {"项目名称": "直接签约", "计划投资额（万元）": 500, "当前阶段": "开工", "签约额（万元）": 600,
         "签约日期": d(6, 1), "开工日期": d(6, 1), "最近进展日期": d(7, 1)},
        {"项目名称": "投产", "计划投资额（万元）": 800, "当前阶段": "投产", "签约额（万元）": 800,
         "洽谈日期": d(1, 5), "签约日期": d(2, 5), "开工日期": d(3, 5), "投产日期": d(4, 5)},
        {"项目名称": "达产", "计划投资额（万元）": 800, "当前阶段": "达产", "签约额（万元）": 700,
         "签约日期": d(2, 5), "达产日期": d(8, 5)},
        {"项目名称": "退回", "计划投资额（万元）": 200, "当前阶段": "洽谈", "签约额（万元）": 150,
         "洽谈日期": d(4, 1), "签约日期": d(5, 1), "最近进展日期": d(6, 1)},
        {"项目名称": "退库", "计划投资额（万元）": 200, "当前阶段": "退库", "洽谈日期": d(4, 1),
         "退库原因": "投资方撤回", "最近进展日期": d(9, 1), "存在问题": "资金\n不足"},
        {"项目名称": "签约后退库", "计划投资额（万元）": 200, "当前阶段": "退库", "签约额（万元）": 90,
         "策划包装日期": d(1, 3), "签约日期": d(3, 3), "退库原因": "搬迁"},
        {"项目名称": "无日期退库", "计划投资额（万元）": 50, "当前阶段": "退库", "退库原因": "重复"},
    ]


def _state(team):
    """Projects (by name), their stage events and the team's figures, ids left out."""
    skip = {"id", "task_force", "created_at", "updated_at"}
    rows = {}
    for p in Project.select().where(Project.task_force == team.id):
        events = [(e.from_stage, e.stage, e.occurred_on, e.user_id, e.note, e.voided_at)
                  for e in p.stage_events.order_by(StageEvent.id)]
        rows[p.name] = ({k: v for k, v in p.__data__.items() if k not in skip}, events)
    mine = {(k[0], k[2:]): v for k, v in monthly.stored().items()
            if k[0] == "task_force" and k[1] == team.id}
    return rows, mine


def _one_by_one(user, result, note):
    """The per-row path the bulk commit replaces: create_project at the first dated stage,
    change_stage for each later one."""
    for r in result.rows:
        (stage, day), later = r.events[0], r.events[1:]
        fields, signing = dict(r.fields), {}
        if plan.signs_later(stage, later):
            signing = {k: fields.get(k) for k in ("contract_value", "signing_grade")}
            fields["contract_value"] = fields["signing_grade"] = None
        project = P.create_project(user, task_force=r.team, stage=stage, on=day, note=note,
                                   **fields)
        import_commit._moves(user, project, stage, later, r, note, signing)


def test_bulk_commit_writes_what_the_services_write_one_by_one(world):
    admin, header = world["admin"], [t for t in TITLES if t != "所属专班"]
    data = book_bytes(_mixed_rows(), header=header)
    bulk = uploads.preview_bytes(admin, data, "t.xlsx", LIMIT, task_force="TF1")
    assert [r.status for r in bulk.rows] == ["new"] * len(bulk.rows), bulk.errors
    batch = import_commit.commit(admin, bulk)
    single = uploads.preview_bytes(admin, data, "t.xlsx", LIMIT, task_force="TF2")
    _one_by_one(admin, single, f"Excel导入（批次 {batch.id}：t.xlsx）")
    got, want = _state(world["team"]), _state(world["other"])
    assert got == want
    assert len(got[0]) == len(bulk.rows) and got[1]
    assert monthly.check_now().rows == []
    logs = AuditLog.select().where((AuditLog.entity == "project") & (AuditLog.action == "import"))
    assert logs.count() == len(bulk.rows)
    assert all(f'"batch": {batch.id}' in log.after for log in logs)


def test_rule_the_preview_leaves_to_the_write_path(world):
    """退库 after a 签约 date with no 签约额: create_project would refuse it at commit."""
    rows = [row(项目名称="好"), row(项目名称="坏", 当前阶段="退库", 退库原因="撤回",
                                   签约日期=last_year(3, 3))]
    result = preview(world["admin"], rows)
    assert [r.status for r in result.rows] == ["new", "new"]
    with pytest.raises(ValidationError) as caught:
        import_commit.commit(world["admin"], result)
    assert "第 3 行（坏）" in caught.value.errors["__all__"]
    assert "签约额" in caught.value.errors["__all__"]
    assert Project.select().count() == 0


def test_the_unique_index_is_the_last_word(world, monkeypatch):
    """A twin the duplicate check missed: the insert is refused, the row named, nothing kept."""
    admin = world["admin"]
    result = preview(admin, [row(项目名称=f"p{i}") for i in range(5)])
    make_project(world["team"], "p3", user=admin)
    monkeypatch.setattr(project_bulk, "_check_ledger", lambda plans: None)
    with pytest.raises(ValidationError) as caught:
        import_commit.commit(admin, result)
    assert "第 5 行（p3）" in caught.value.errors["__all__"]
    assert "同名同投资方" in caught.value.errors["__all__"]
    assert [p.name for p in Project.select()] == ["p3"]
    assert import_commit.batches() == [] and monthly.check_now().rows == []


def test_task_force_option(world):
    rows = [{"项目名称": "无专班列", "计划投资额（万元）": 10}]
    data = book_bytes(rows, header=["项目名称", "计划投资额（万元）"])
    with pytest.raises(ValidationError) as caught:
        uploads.preview_bytes(None, data, "f.xlsx", LIMIT)
    assert "所属专班" in caught.value.errors["file"]
    result = uploads.preview_bytes(None, data, "f.xlsx", LIMIT, task_force="TF2")
    assert result.rows[0].team.code == "TF2" and result.rows[0].status == "new"
    with pytest.raises(ValidationError) as caught:
        uploads.preview_bytes(None, data, "f.xlsx", LIMIT, task_force="NOPE")
    assert "task_force" in caught.value.errors


# --- hostile files ------------------------------------------------------------------

def _refused(data, limit=LIMIT):
    with pytest.raises(ValidationError) as caught:
        uploads.preview_bytes(None, data, "x.xlsx", limit)
    return caught.value.errors["file"]


def _zip(members, types=None):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types or
                         b'<Types><Override ContentType="application/vnd.openxmlformats-'
                         b'officedocument.spreadsheetml.sheet.main+xml"/></Types>')
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_hostile_files_are_refused_with_a_clear_message(world):
    assert ".xls" in _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    # a .csv is read (whatever its name): here it lacks a required column
    assert "缺少列：计划投资额" in _refused("项目名称,所属专班\n甲,TF1\n".encode("utf-8"))
    assert "不是 Excel" in _refused(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert "过大" in _refused(book_bytes([row()]), limit=1000)
    assert "压缩炸弹" in _refused(_zip({"xl/big.xml": b"\x00" * (300 * 1024 * 1024)}))
    assert "Word" in _refused(_zip({}, b"<Types>wordprocessingml</Types>"))
    assert "损坏" in _refused(b"PK\x03\x04" + b"\x00" * 100)

    def hide(book, sheet):
        sheet.sheet_state = "hidden"
        book.create_sheet("其他")
    assert "隐藏" in _refused(book_bytes([row()], edit=hide))

    def merge(book, sheet):
        sheet.merge_cells("A1:B1")
    assert "合并单元格 A1:B1" in _refused(book_bytes([row()], edit=merge))


def test_too_many_rows(world, monkeypatch):
    monkeypatch.setattr(import_rules, "MAX_ROWS", 3)
    assert "超过 3 行" in _refused(book_bytes([row(项目名称=f"p{i}") for i in range(4)]))


def test_formulas_and_text_dates(world):
    def formula(book, sheet):
        sheet["I2"] = "=100*2"
    result = uploads.preview_bytes(None, book_bytes([row()], edit=formula), "f.xlsx", LIMIT)
    assert [(n, c) for n, c, _, m in result.errors if "公式" in m] == [(2, "I")]
    year = last_year(1, 1).year
    for text in (f"{year}年3月5日", f"{year}.3.5", f"{year}/3/5", f"{year}-03-05"):
        assert import_rules.parse_date(text) == (datetime.date(year, 3, 5), None)
    assert import_rules.parse_date("3/5")[1]


# --- a clerk's own 台账 (issue 18) -----------------------------------------------------

CLERK_HEADER = ["序号", "项目名称", "投资主体", "所属专班", "计划投资额（亿元）", "项目进展",
                "签约额（亿元）", "洽谈时间", "签约时间", "开工时间", "所属区县", "责任人", "备注"]


def clerk_book(rows, header=CLERK_HEADER, above=()):
    """A 台账 as a clerk keeps it: a merged title row, a 填报单位 row (and ``above``), the
    header, 序号, amounts in 亿元, blank lines, a 合计 row with =SUM and a 注 row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "精细化工"
    width = len(header)
    sheet.append(["2026年精细化工专班招商项目台账"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.append(["填报单位：精细化工专班（盖章）", None, None, None, None, None, None, None,
                  "填报时间：2026年12月"])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    for line in above:
        sheet.append(list(line))
    sheet.append(list(header))
    first = sheet.max_row + 1
    for number, values in enumerate(rows, start=1):
        if values is None:
            sheet.append([])      # a blank line between projects
            continue
        sheet.append([number] + [values.get(t) for t in header[1:]])
    last = sheet.max_row
    amount = get_letter(header, "计划投资额")
    sheet.append(["合计", None, None, None, f"=SUM({amount}{first}:{amount}{last})"])
    sheet.append([])
    sheet.append(["注：金额单位为亿元；签约时间、开工时间只填到月份。"])
    sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row,
                      end_column=width)
    sheet.append(["填报人：王五", None, None, None, None, "审核人：赵六"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def get_letter(header, prefix):
    from openpyxl.utils import get_column_letter
    return next(get_column_letter(i) for i, t in enumerate(header, start=1)
                if t.startswith(prefix))


@pytest.fixture
def clerk(world):
    """The 精细化工 team's clerk and its 责任人 张专员 (display name with a bracket)."""
    world["team"].name = "精细化工专班"
    world["team"].save()
    zhang = make_user("zhang", display_name="张专员（精细化工）", task_forces=[world["team"]])
    li = make_user("li", display_name="李专员（新材料）", task_forces=[world["other"]])
    return dict(world, zhang=zhang, li=li)


def _clerk_rows():
    y = last_year(1, 1).year
    return [
        {"项目名称": "年产3万吨精细化学品项目", "投资主体": "某某化工有限公司", "所属专班": "精细化工专班",
         "计划投资额（亿元）": 12, "项目进展": "已签约", "签约额（亿元）": 10,
         "签约时间": f"{y}年3月", "所属区县": "新抚区", "责任人": "张专员", "备注": "已报市政府"},
        {"项目名称": "新材料中试基地", "投资主体": "某新材料股份公司", "所属专班": "精细化工专班",
         "计划投资额（亿元）": "0.35", "项目进展": "在建", "签约额（亿元）": 0.3,
         "签约时间": f"{y}.3", "开工时间": f"{y}年5月", "所属区县": "C1", "责任人": "zhang"},
        None,
        {"项目名称": "催化剂项目", "投资主体": "某催化科技公司", "所属专班": "精细化工专班",
         "计划投资额（亿元）": 2.5, "项目进展": "在谈", "洽谈时间": f"{y}-06",
         "责任人": "张专员（精细化工）"},
        {"项目名称": "储能材料项目", "所属专班": "精细化工专班", "计划投资额（亿元）": 8,
         "项目进展": "谋划中", "备注": "待对接"},
    ]


def _shown(row):
    return {label: (value, source) for label, value, source in row.shown}


def test_a_clerks_ledger_previews_every_value_and_commits_what_it_showed(clerk):
    y = last_year(1, 1).year
    data = clerk_book(_clerk_rows())
    # last year's 签约/开工/洽谈 lie in closed quarters: the clerk (a member) may not write them
    # from a spreadsheet (issue 19), the bureau imports the same file
    refused = uploads.preview_bytes(clerk["member"], data, "精细化工台账.xlsx", LIMIT)
    assert [(r.number, r.status) for r in refused.rows] == [
        (4, "error"), (5, "error"), (7, "error"), (8, "new")]
    assert all("已结束的" in e[3] for e in refused.errors)
    result = uploads.preview_bytes(clerk["admin"], data, "精细化工台账.xlsx", LIMIT)
    assert result.errors == []
    assert [(r.number, r.status) for r in result.rows] == [
        (4, "new"), (5, "new"), (7, "new"), (8, "new")]
    # skipped, with their row numbers and why: the blank line, 合计 (a =SUM is no error),
    # the blank line after it, the 注 row, the 填报人 row
    assert result.skipped == [(6, 6, "空行，已跳过"), (9, 9, "合计行，已跳过"),
                              (10, 10, "空行，已跳过"), (11, 11, "注释、说明行，已跳过"),
                              (12, 12, "注释、说明行，已跳过")]
    columns = {heading: (letter, label, how) for letter, heading, label, how in result.columns}
    assert columns["计划投资额（亿元）"] == ("E", "计划投资额", "按亿元读取，×10000 换算为万元")
    assert columns["签约额（亿元）"][1:] == ("签约额", "按亿元读取，×10000 换算为万元")
    assert columns["项目进展"][1] == "当前阶段" and columns["签约时间"][1] == "签约日期"
    assert columns["所属区县"][1] == "区县/开发区" and columns["责任人"][1] == "责任人"
    assert columns["备注"][:2] == ("M", "不导入") and "序号" not in columns
    assert result.ignored == ["备注"]

    signed, started, talks, reserve = result.rows
    shown = _shown(signed)
    assert shown["计划投资额"] == ("120,000.00 万元", "12 亿元")
    assert shown["签约额"] == ("100,000.00 万元", "10 亿元")
    assert shown["当前阶段"] == ("签约", "已签约")
    assert shown["签约日期"] == (f"{y}-03-01", f"{y}年3月（仅到月份，按当月1日）")
    assert shown["区县/开发区"] == ("新抚区", "")
    assert shown["责任人"] == ("张专员（精细化工）", "张专员")
    assert shown["投资方"] == ("某某化工有限公司", "")
    assert signed.ignored == [("备注", "已报市政府")]
    assert signed.timeline == [f"签约 {y}-03-01"]
    shown = _shown(started)
    assert shown["计划投资额"] == ("3,500.00 万元", "0.35 亿元")
    assert shown["签约额"] == ("3,000.00 万元", "0.3 亿元")
    assert shown["当前阶段"] == ("开工", "在建") and shown["区县/开发区"] == ("新抚区", "C1")
    assert started.timeline == [f"签约 {y}-03-01", f"开工 {y}-05-01"]
    assert _shown(talks)["当前阶段"] == ("洽谈", "在谈")
    assert talks.timeline == [f"洽谈 {y}-06-01"]
    assert _shown(reserve)["当前阶段"] == ("储备/谋划", "谋划中")
    assert reserve.timeline == [f"储备/谋划 {clock.today().isoformat()}"]

    batch = import_commit.commit(clerk["admin"], result)
    assert batch.created == 4
    got = {p.name: p for p in Project.select()}
    plant = got["年产3万吨精细化学品项目"]
    assert (plant.planned_investment, plant.contract_value) == (Decimal("120000.00"),
                                                               Decimal("100000.00"))
    assert (plant.stage, plant.signed_on, plant.owner_id, plant.county_id) == (
        "signed", datetime.date(y, 3, 1), clerk["zhang"].id, clerk["county"].id)
    base = got["新材料中试基地"]
    assert (base.planned_investment, base.contract_value, base.stage) == (
        Decimal("3500.00"), Decimal("3000.00"), "started")
    assert [(e.stage, e.occurred_on) for e in base.stage_events.order_by(StageEvent.id)] == [
        ("signed", datetime.date(y, 3, 1)), ("started", datetime.date(y, 5, 1))]
    assert (got["催化剂项目"].stage, got["催化剂项目"].negotiating_on) == (
        "negotiating", datetime.date(y, 6, 1))
    assert got["储能材料项目"].stage == "reserve"
    assert got["储能材料项目"].planned_investment == Decimal("80000.00")
    # committed equals shown: every shown value is the project's, as the export writes it
    for row in result.rows:
        project = got[row.name]
        for label, value, _ in row.shown:
            assert value == _ledger_value(project, label), (row.name, label)
        assert [(e.stage, e.occurred_on) for e in project.stage_events.order_by(
            StageEvent.id)] == row.events
    assert monthly.check_now().rows == []


def _ledger_value(project, label):
    from tracker.domain import money, pipeline as stages
    key = {v: k for k, v in import_rules.LABELS.items()}[label]
    value = getattr(project, key)
    if key in import_rules.AMOUNT_KEYS:
        return f"{money.fmt_wan(value)} 万元"
    if key == "stage":
        return stages.label(value)
    if key in ("county", "owner", "task_force"):
        return value.name if key != "owner" else str(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def test_a_unit_line_above_the_header_and_units_in_cells(clerk):
    header = ["序号", "项目名称", "所属专班", "计划投资额", "签约额（万元）", "项目进展", "签约时间"]
    rows = [{"项目名称": "甲", "所属专班": "精细化工专班", "计划投资额": 3},
            {"项目名称": "乙", "所属专班": "精细化工专班", "计划投资额": "5000万",
             "签约额（万元）": "1.5亿", "项目进展": "签约",
             "签约时间": f"{last_year(1, 1).year}年2月"}]
    data = clerk_book(rows, header=header, above=[[None, None, None, None, "单位：亿元"]])
    result = uploads.preview_bytes(clerk["admin"], data, "t.xlsx", LIMIT)
    assert result.errors == []
    assert _shown(result.rows[0])["计划投资额"] == ("30,000.00 万元", "3 亿元")
    assert _shown(result.rows[1])["计划投资额"] == ("5,000.00 万元", "5000 万元")
    assert _shown(result.rows[1])["签约额"] == ("15,000.00 万元", "1.5 亿元")
    columns = {heading: how for _, heading, _, how in result.columns}
    assert columns["计划投资额"] == "按亿元读取，×10000 换算为万元"
    assert columns["签约额（万元）"] == "按万元读取"


def test_clerk_words_that_are_errors(clerk):
    y = last_year(1, 1).year
    soon = clock.today() + datetime.timedelta(days=40)
    rows = [{"项目名称": "落地项目", "所属专班": "精细化工专班", "计划投资额（亿元）": 1,
             "项目进展": "已落地", "签约时间": f"{y}年3月"},
            {"项目名称": "未来项目", "所属专班": "精细化工专班", "计划投资额（亿元）": 1,
             "项目进展": "在建", "签约额（亿元）": 1, "签约时间": f"{y}年3月",
             "开工时间": f"{soon.year}年{soon.month}月"},
            {"项目名称": "无人项目", "所属专班": "精细化工专班", "计划投资额（亿元）": 1,
             "责任人": "王专员"},
            {"项目名称": "在建无日期", "所属专班": "精细化工专班", "计划投资额（亿元）": 1,
             "项目进展": "在建", "签约额（亿元）": 1, "签约时间": f"{y}年3月"}]
    result = uploads.preview_bytes(clerk["admin"], clerk_book(rows), "t.xlsx", LIMIT)
    found = {(n, title): message for n, _, title, message in result.errors}
    assert "签约、开工或投产" in found[(4, "项目进展")]
    assert "不能晚于今天" in found[(5, "开工时间")] and "按当月1日" in found[(5, "开工时间")]
    assert "不存在" in found[(6, "责任人")] and "张专员（精细化工）（zhang）" in found[(6, "责任人")]
    assert found[(7, "开工时间")] == "当前阶段为开工，请填写开工日期。"
    assert [r.status for r in result.rows] == ["error"] * 4
    assert [(n, why) for n, _, why in result.skipped] == [
        (8, "合计行，已跳过"), (9, "空行，已跳过"), (10, "注释、说明行，已跳过"),
        (11, "注释、说明行，已跳过")]


def test_owner_matching(clerk):
    twin = make_user("zhang2", display_name="张专员（新材料）", task_forces=[clerk["other"]])
    make_user("gone", display_name="离职专员", active=False)
    rows = [{"项目名称": f"p{i}", "所属专班": team, "计划投资额（亿元）": 1, "责任人": owner}
            for i, (team, owner) in enumerate([
                ("精细化工专班", "张专员"),        # two 张专员: the team's own one
                ("TF2专班", "张专员"),             # TF2 has zhang2 only
                ("TF3专班", "张专员"),             # neither is a member: asked
                ("精细化工专班", "离职专员"),
                ("精细化工专班", "zhang2"),        # a user name is exact, any team
            ])]
    make_task_force("TF3")
    result = uploads.preview_bytes(clerk["admin"], clerk_book(rows), "t.xlsx", LIMIT)
    owners = [r.fields.get("owner") for r in result.rows]
    assert owners[0].id == clerk["zhang"].id and owners[1].id == twin.id
    assert owners[4].id == twin.id
    found = {n: message for n, _, title, message in result.errors if title == "责任人"}
    assert set(found) == {6, 7}
    assert "对应多个用户" in found[6] and "张专员（精细化工）（zhang）" in found[6] \
        and "张专员（新材料）（zhang2）" in found[6]
    assert "已停用" in found[7]


def test_a_foreign_currency_header_is_refused(clerk):
    header = ["序号", "项目名称", "所属专班", "计划投资额（万美元）"]
    data = clerk_book([{"项目名称": "外资", "所属专班": "精细化工专班"}], header=header)
    assert "美元" in _refused(data)


def test_an_exported_ledger_reimports_unchanged_with_the_clerks_owner(clerk):
    admin = clerk["admin"]
    make_project(clerk["team"], "甲", user=admin, owner=clerk["zhang"].id,
                 planned_investment="120000", stage="signed", contract_value="100000",
                 on=last_year(3, 1))
    gone = make_user("gone", display_name="离职专员", task_forces=[clerk["team"]])
    make_project(clerk["team"], "乙", user=admin, owner=gone.id, on=last_year(3, 1))
    gone.active = False
    gone.save()
    data = export.export_xlsx(Project.select().order_by(Project.id))
    result = uploads.preview_bytes(admin, data, "e.xlsx", LIMIT)
    assert [(r.status, r.errors) for r in result.rows] == [("unchanged", [])] * 2
    assert result.skipped == [] and result.ignored == []
    # a deactivated 责任人 stays where the ledger has them, never on a new project
    rows = [row(项目名称="丙", 所属专班="精细化工专班", 责任人="离职专员"),
            row(项目名称="乙", 所属专班="精细化工专班", 责任人="离职专员")]
    result = preview(admin, rows)
    assert [r.status for r in result.rows] == ["error", "unchanged"]
    assert "已停用" in result.rows[0].errors[0][2]


def test_two_columns_for_one_field_and_formulas_in_columns_not_imported(clerk):
    header = ["序号", "项目名称", "所属专班", "计划投资额（亿元）", "总投资"]
    message = _refused(clerk_book([{"项目名称": "甲"}], header=header))
    assert "计划投资额（亿元）" in message and "总投资" in message and "D 列和 E 列" in message

    def numbered(book, sheet):
        sheet["A2"], sheet["C2"] = "=ROW()-1", "=B2"   # 序号 and 备注 as formulas
    header = ["序号", "项目名称", "备注", "计划投资额（万元）", "所属专班"]
    data = book_bytes([{"项目名称": "甲", "计划投资额（万元）": 5, "所属专班": "TF1"}],
                      header=header, edit=numbered)
    result = uploads.preview_bytes(clerk["admin"], data, "t.xlsx", LIMIT)
    assert result.errors == [] and [r.status for r in result.rows] == ["new"]
