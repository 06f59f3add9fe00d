"""The import's column-mapping step and plausibility warnings (issue 18): a column named
unlike any field blocks the preview until the person maps it (or sets 不导入); the mapping
drives the units and is remembered per user and task force for the next file with the same
headings; warnings must be acknowledged before the commit. Every backend (``db``)."""
from decimal import Decimal

import pytest

from tracker import clock
from tracker.domain.errors import ValidationError
from tracker.models import ImportMapping, Project
from tracker.services.imports import commit as import_commit, mapping, uploads
from tests.factories import make_project, make_task_force, make_user
from tests.services.import_files import xlsx_bytes

LIMIT = 10 * 1024 * 1024
HEADER = ["项目名称", "所属专班", "投资规模（亿元）", "备注"]


def sheet(*rows, header=HEADER):
    return xlsx_bytes([header, *rows])


@pytest.fixture
def world(db, tmp_path):
    team, other = make_task_force("TF1"), make_task_force("TF2")
    member = make_user("member", role="member", task_forces=[team])
    second = make_user("second", role="member", task_forces=[team])
    return dict(team=team, other=other, member=member, second=second, path=str(tmp_path))


def _upload(world, data, user=None):
    return uploads.upload(world["path"], user or world["member"], "台账.xlsx", data, LIMIT)


def _parsed(world, token, user=None):
    return uploads.stored_parsed(world["path"], token, (user or world["member"]).id, LIMIT)[1]


def _preview(world, token, user=None):
    return uploads.stored_preview(world["path"], token, user or world["member"], LIMIT)


def test_an_unrecognised_column_blocks_until_mapped_then_converts_its_unit(world):
    token, result = _upload(world, sheet(["甲", "TF1", 12, "x"], ["乙", "TF1", "0.35", None]))
    assert [(c.letter, c.heading) for c in result.blocked] == [("C", "投资规模（亿元）")]
    assert result.count("error") == 1 and result.rows[0].errors[0][:2] == ("C", "投资规模（亿元）")
    with pytest.raises(ValidationError):    # nothing can be committed while blocked
        uploads.commit_stored(world["path"], token, world["member"], LIMIT, acknowledged=True)
    assert Project.select().count() == 0

    parsed = _parsed(world, token)
    cols = {c.letter: c for c in mapping.page(world["member"], parsed)}
    assert (cols["A"].key, cols["B"].key, cols["C"].key, cols["D"].key) == \
        ("name", "task_force", None, "")
    assert cols["C"].needs and cols["C"].unit == "亿元" and cols["C"].samples == ["12", "0.35"]
    # 不导入 is a decision, but then no column gives 计划投资额
    with pytest.raises(ValidationError) as caught:
        mapping.choose(world["member"], parsed, {"C": ("", None)})
    assert "计划投资额" in caught.value.errors["__all__"]
    with pytest.raises(ValidationError) as caught:   # still undecided
        mapping.choose(world["member"], parsed, {"C": ("?", None)})
    assert "请选择" in caught.value.errors["C"]
    with pytest.raises(ValidationError) as caught:   # an amount needs its unit
        mapping.choose(world["member"], parsed, {"C": ("planned_investment", None)})
    assert "单位" in caught.value.errors["C"]
    with pytest.raises(ValidationError) as caught:   # one field, two columns
        mapping.choose(world["member"], parsed, {"C": ("name", None)})
    assert "已由 A 列导入" in caught.value.errors["C"]
    assert ImportMapping.select().count() == 0

    mapping.choose(world["member"], parsed, {"C": ("planned_investment", "亿元")})
    result = _preview(world, token)
    assert result.blocked == [] and [r.status for r in result.rows] == ["new", "new"]
    shown = [{label: (value, source) for label, value, source in r.shown} for r in result.rows]
    assert shown[0]["计划投资额"] == ("120,000.00 万元", "12 亿元")
    assert shown[1]["计划投资额"] == ("3,500.00 万元", "0.35 亿元")
    columns = {heading: label for _, heading, label, _ in result.columns}
    assert columns["投资规模（亿元）"] == "计划投资额" and columns["备注"] == "不导入"
    batch, _ = uploads.commit_stored(world["path"], token, world["member"], LIMIT)
    assert batch.created == 2
    assert {p.name: p.planned_investment for p in Project.select()} == {
        "甲": Decimal("120000.00"), "乙": Decimal("3500.00")}


def test_the_mapping_is_remembered_per_user_and_task_force(world):
    token, _ = _upload(world, sheet(["甲", "TF1", 12, None]))
    mapping.choose(world["member"], _parsed(world, token), {"C": ("planned_investment", "亿元")})
    # changed again later: one row per user, task force and headings, updated
    mapping.choose(world["member"], _parsed(world, token), {"C": ("planned_investment", "万元")})
    mapping.choose(world["member"], _parsed(world, token), {"C": ("planned_investment", "亿元")})
    assert ImportMapping.select().count() == 1
    saved = ImportMapping.get()
    assert (saved.user_id, saved.team) == (world["member"].id, world["team"].id)

    # the next file with the same headings: mapped at once
    token2, result = _upload(world, sheet(["丙", "TF1", 2, None], ["丁", "TF1", 3, None]))
    assert result.blocked == []
    assert [r.fields["planned_investment"] for r in result.rows] == [20000, 30000]
    # another person, or other headings, decide for themselves
    _, result = _upload(world, sheet(["丙", "TF1", 2, None]), user=world["second"])
    assert [c.letter for c in result.blocked] == ["C"]
    _, result = _upload(world, sheet(["丙", "TF1", 2], header=HEADER[:3]))
    assert [c.letter for c in result.blocked] == ["C"]
    # the same person's file for another task force (its 所属专班): decided apart
    admin = make_user("admin", role="admin")
    token3, _ = _upload(world, sheet(["甲", "TF1", 1, None]), user=admin)
    mapping.choose(admin, _parsed(world, token3, admin), {"C": ("planned_investment", "亿元")})
    _, result = _upload(world, sheet(["戊", "TF2", 1, None]), user=admin)
    assert [c.letter for c in result.blocked] == ["C"]
    _, result = _upload(world, sheet(["己", "TF1", 1, None]), user=admin)
    assert result.blocked == [] and result.rows[0].fields["planned_investment"] == 10000


def test_a_recognised_column_can_be_set_aside_and_a_twin_is_decided(world):
    header = ["项目名称", "所属专班", "计划投资额（万元）", "总投资（亿元）"]
    token, result = _upload(world, xlsx_bytes([header, ["甲", "TF1", 500, 5]]))
    assert [(c.letter, c.heading) for c in result.blocked] == [("D", "总投资（亿元）")]
    cols = {c.letter: c for c in mapping.page(world["member"], _parsed(world, token))}
    assert "同为计划投资额" in cols["D"].note and cols["D"].unit == "亿元"
    mapping.choose(world["member"], _parsed(world, token),
                   {"C": ("", None), "D": ("planned_investment", "亿元")})
    result = _preview(world, token)
    assert result.rows[0].fields["planned_investment"] == 50000
    # a command keeps automatic recognition, refusing the twin as before
    with pytest.raises(ValidationError) as caught:
        uploads.preview_bytes(None, xlsx_bytes([header, ["甲", "TF1", 500, 5]]), "a.xlsx", LIMIT)
    assert "都是计划投资额" in caught.value.errors["file"]


def _ledger(world, amount="1000"):
    for i in range(5):
        make_project(world["team"], f"已有项目{i}", user=world["member"],
                     planned_investment=amount)


def test_warnings_fire_and_the_commit_needs_their_acknowledgment(world):
    _today = clock.today().isoformat()
    _ledger(world)
    header = ["项目名称", "所属专班", "计划投资额（万元）", "策划包装日期", "预计签约日期"]
    rows = [["年产5万吨新材料项目", "TF1", 50, None, None],       # 万吨 under 100 万元
            ["大项目", "TF1", 200000, None, None],                # 200× the ledger's median
            ["日期项目", "TF1", 1000, _today, "2024-03-01"],  # before 策划包装 (today: an open quarter)
            ["平常项目", "TF1", 1200, None, None]]
    token, result = _upload(world, xlsx_bytes([header, *rows]))
    found = {r.name: r.warnings for r in result.rows}
    assert any("万吨" in w for w in found["年产5万吨新材料项目"])
    assert any("本专班台账" in w and "100 倍" in w for w in found["大项目"])
    assert found["日期项目"] == [f"预计签约日期 2024-03-01 早于策划包装日期 {_today}。"]
    assert found["平常项目"] == []
    assert len(result.warnings) >= 3
    with pytest.raises(ValidationError) as caught:
        uploads.commit_stored(world["path"], token, world["member"], LIMIT)
    assert "我已核对以上提示" in caught.value.errors["acknowledge"]
    assert Project.select().count() == 5
    batch, _ = uploads.commit_stored(world["path"], token, world["member"], LIMIT,
                                     acknowledged=True)
    assert batch.created == 4 and Project.select().count() == 9


def test_a_file_without_warnings_commits_without_the_checkbox(world):
    _ledger(world)
    token, result = _upload(world, xlsx_bytes([["项目名称", "所属专班", "计划投资额（万元）"],
                                               ["甲", "TF1", 900], ["乙", "TF1", 1500]]))
    assert result.warnings == []
    batch = import_commit.commit(world["member"], _preview(world, token))
    assert batch.created == 2
