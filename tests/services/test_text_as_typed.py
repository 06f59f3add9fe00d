"""Text as typed (issue 18): every write keeps the user's characters. Chinese punctuation
and full-width forms survive create, edit, every note and reason, the task forces, the
accounts and the Excel import, on every backend (the ``db`` fixture); keys still fold, so
look-alikes collide. Identifiers (user names, codes, e-mail) still fold by design."""
import datetime
import io

import pytest
from openpyxl import Workbook

from tests.factories import make_county, make_project, make_task_force, make_user
from tracker import clock
from tracker.domain import import_rules, pipeline
from tracker.domain.errors import ValidationError
from tracker.models import (AmountChange, AuditLog, CapitalIncrease, CountyTarget, FundReceipt,
    Project, StageEvent, TaskForce, TaskForceTarget, User)
from tracker.services.accounts import tokens, users
from tracker.services.imports import uploads
from tracker.services.ledger import corrections, listing
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.targets import annual, counties as county_targets
from tracker.services.taskforces import teams

P = backfill_ledger(ledger_projects)

# The characters of the issue, and full-width letters and digits.
PUNCT = "，。、：；“”‘’（）《》【】—…"
WIDE = "ＡＢＣ１２３"
NAME = f"抚顺（新材料）：一期，“{WIDE}”《方案》【试点】—…"
NOTE = f"第一行：（甲）、乙；“丙”‘丁’\n第二行《戊》【己】—…{WIDE}"


def days_ago(n):
    return clock.today() - datetime.timedelta(days=n)


@pytest.fixture
def world(db):
    team = make_task_force("TF1")
    boss = make_user("boss", role="bureau")
    member = make_user("mia", role="member", task_forces=[team])
    return team, boss, member


def test_every_project_text_is_stored_as_typed(world):
    team, boss, member = world
    p = P.create_project(member, task_force=team, name=f" {NAME}\u200b ", investor=f"{PUNCT}有限公司",
                         planned_investment="1000", stage=pipeline.SIGNED, on=days_ago(30),
                         contract_value="800", contact=f"张三（{WIDE}）",
                         investor_region="长三角：上海", industry="新材料（化工）",
                         next_step=NOTE, problems=f"{PUNCT}\n{PUNCT}", note=f"说明：{PUNCT}")
    row = Project.get_by_id(p.id)
    assert (row.name, row.investor, row.contact) == (NAME, f"{PUNCT}有限公司", f"张三（{WIDE}）")
    assert (row.investor_region, row.industry) == ("长三角：上海", "新材料（化工）")
    assert (row.next_step, row.problems) == (NOTE, f"{PUNCT}\n{PUNCT}")
    assert StageEvent.get(StageEvent.project == p.id).note == f"说明：{PUNCT}"
    # Tags are labels matched as keys (the awards' 世界500强): folded like identifiers.
    P.update_project(member, p.id, tags="世界５００强，央企")
    assert Project.get_by_id(p.id).tags == "世界500强,央企"
    row = Project.get_by_id(p.id)

    # Edit: texts and a 更正 of an amount, with its reason.
    edited = f"{NAME}（二期）"
    P.update_project(member, p.id, version=row.version, name=edited, next_step=f"下一步：{PUNCT}",
                     planned_investment="1200", change_kind="correction",
                     change_reason=f"录入错误：{PUNCT}")
    row = Project.get_by_id(p.id)
    assert (row.name, row.next_step) == (edited, f"下一步：{PUNCT}")
    assert AmountChange.get(AmountChange.project == p.id).reason == f"录入错误：{PUNCT}"
    assert "二期）" in AuditLog.select().where(AuditLog.action == "update") \
        .order_by(AuditLog.id.desc()).get().after

    # Stage note, receipt evidence, increase note, void reason, drop reason.
    P.change_stage(member, p.id, pipeline.STARTED, on=days_ago(5), note=f"开工：{PUNCT}")
    receipt = P.record_funds(member, p.id, received_on=days_ago(4), amount="100",
                             evidence=f"回单（{WIDE}）：{PUNCT}")
    increase = P.add_capital_increase(member, p.id, on=days_ago(3), amount="50",
                                      note=f"增资：{PUNCT}")
    corrections.void(member, p.id, "funds", receipt.id, f"重复登记：{PUNCT}\n{WIDE}")
    P.change_stage(member, p.id, pipeline.DROPPED, on=days_ago(1), reason=f"退库：{PUNCT}",
                   note=f"备注，{WIDE}")
    latest = StageEvent.select().where(StageEvent.project == p.id).order_by(StageEvent.id.desc())
    assert [e.note for e in latest[:2]] == [f"退库：{PUNCT}（备注，{WIDE}）", f"开工：{PUNCT}"]
    assert FundReceipt.get_by_id(receipt.id).evidence == f"回单（{WIDE}）：{PUNCT}"
    assert FundReceipt.get_by_id(receipt.id).void_reason == f"重复登记：{PUNCT}\n{WIDE}"
    assert CapitalIncrease.get_by_id(increase.id).note == f"增资：{PUNCT}"
    assert Project.get_by_id(p.id).drop_reason == f"退库：{PUNCT}"


def test_control_and_format_characters_are_still_removed_and_nul_refused(world):
    team, _boss, member = world
    p = make_project(team, f"\ufeff{PUNCT}\u200b\u00ad\u202e{WIDE}\u200e ", user=member,
                     next_step=f"  {PUNCT}\u2060  \n\n\n\n{WIDE}\x07 ")
    row = Project.get_by_id(p.id)
    assert (row.name, row.next_step) == (f"{PUNCT}{WIDE}", f"{PUNCT}\n\n{WIDE}")
    with pytest.raises(ValidationError) as exc:
        make_project(team, f"{PUNCT}\x00", user=member)
    assert "NUL" in exc.value.errors["name"]
    with pytest.raises(ValidationError) as exc:
        make_project(team, "长" * 101, user=member)
    assert "100" in exc.value.errors["name"]


def test_look_alikes_still_collide(world):
    team, _boss, member = world
    make_project(team, "抚顺（新材料）项目", user=member, investor="抚顺（新材料）有限公司")
    for name, investor in [("抚顺(新材料)项目", "抚顺(新材料)"),
                           ("抚顺（新材料）项目", "抚顺(新材料)股份有限公司"),
                           ("抚顺 (新材料) 项目。", "抚顺（新材料）公司")]:
        with pytest.raises(ValidationError) as exc:
            make_project(team, name, user=member, investor=investor)
        assert exc.value.errors["name"].startswith("该专班已有同名同投资方的项目。")
    wide = make_project(team, f"{WIDE}：一期", user=member, investor="Ａｃｍｅ（中国）有限公司")
    with pytest.raises(ValidationError):
        make_project(team, "abc123:一期", user=member, investor="ACME(中国)")
    with pytest.raises(ValidationError):  # an edit into a look-alike is refused too
        other = make_project(team, "另一个项目", user=member)
        P.update_project(member, other.id, name="ＡＢＣ１２３：一期", investor="acme（中国）")
    assert Project.get_by_id(wide.id).name == f"{WIDE}：一期"
    assert Project.select().count() == 3


def test_search_finds_the_typed_text_and_its_ascii_twin(world):
    team, _boss, member = world
    typed = make_project(team, "精细化工（一期）：ＡＢＣ", user=member)
    ascii_ = make_project(team, "精细化工(二期):ABC", user=member)
    make_project(team, "其他项目", user=member)

    def found(q):
        return sorted(r.id for r in listing.filtered({"q": q}))
    assert found("（一期）") == [typed.id]
    assert found("ＡＢＣ") == sorted([typed.id, ascii_.id])  # ＡＢＣ and its NFKC form ABC
    assert found("化工（") == sorted([typed.id, ascii_.id])
    assert found(" \u200b ") == sorted(p.id for p in Project.select())


def test_targets_keep_their_reasons(world):
    team, boss, _member = world
    year = clock.today().year
    annual.set_target(boss, team, year, "signed_value", "200000", f"年初下达：{PUNCT}")
    annual.set_targets(boss, team, year, {"negotiations": "20"}, f"市政府（{WIDE}）")
    county = make_county("C1", "新抚区")
    county_targets.set_county_target(boss, county, year, base="1000", reason=f"基数：{PUNCT}")
    reasons = sorted(r.reason for r in TaskForceTarget.select())
    assert reasons == sorted([f"年初下达：{PUNCT}", f"市政府（{WIDE}）"])
    assert CountyTarget.get().reason == f"基数：{PUNCT}"


def test_task_force_texts_are_stored_as_typed_and_look_alike_names_refused(world):
    _team, boss, _member = world
    team = teams.save_task_force(boss, {"code": "ＮＥＷ１", "name": f"专班（{WIDE}）：化工，新材料",
                                        "leader": "王五（组长）", "lead_department": "市商务局：招商科",
                                        "industry": "新材料、精细化工"})
    row = TaskForce.get_by_id(team.id)
    assert row.code == "NEW1"  # a code is an identifier: full-width folds
    assert (row.name, row.leader, row.lead_department, row.industry) == (
        f"专班（{WIDE}）：化工，新材料", "王五（组长）", "市商务局：招商科", "新材料、精细化工")
    # A name differing only in width or case is the same name, on every backend (MariaDB's
    # unique index would refuse it; SQLite's and PostgreSQL's would not).
    for name in ("专班(ABC123):化工,新材料", "专班（ａｂｃ１２３）：化工，新材料"):
        with pytest.raises(teams.DuplicateTaskForce) as exc:
            teams.save_task_force(boss, {"code": "X2", "name": name})
        assert exc.value.field == "name"
        assert exc.value.message == f"专班名称「专班（{WIDE}）：化工，新材料」已存在。"
    with pytest.raises(teams.DuplicateTaskForce) as exc:
        teams.save_task_force(boss, {"code": "new1", "name": "别的专班"})
    assert exc.value.field == "code"
    # Editing the task force itself keeps its own name.
    teams.save_task_force(boss, {"name": f"专班（{WIDE}）：化工，新材料。"}, team_id=team.id)
    assert TaskForce.get_by_id(team.id).name == f"专班（{WIDE}）：化工，新材料。"


def test_accounts_display_names_as_typed_user_names_folded(world):
    team, boss, _member = world
    make_user("root", role="admin")  # an edit keeps one active admin
    user = users.create_user(None, "a-long-Passw0rd!", username=" ｗａｎｇ ",
                             display_name=f"王组长（{WIDE}）：招商",
                             email="ｗａｎｇ＠example.com", task_force_codes=[team.code])
    row = User.get_by_id(user.id)
    # User names and addresses are identifiers: NFKC, so the login "ｗａｎｇ" is "wang".
    assert (row.username, row.email) == ("wang", "wang@example.com")
    assert row.display_name == f"王组长（{WIDE}）：招商"
    assert users.authenticate("ｗａｎｇ", "a-long-Passw0rd!").id == user.id
    with pytest.raises(ValidationError) as exc:  # a width twin of a taken name
        users.create_user(None, "a-long-Passw0rd!", username="ｗａｎｇ")
    assert "已存在" in exc.value.errors["username"]
    users.edit_user(boss, "wang", display_name=f"王（{PUNCT}）")
    assert User.get_by_id(user.id).display_name == f"王（{PUNCT}）"
    tokens.create("wang", f"大屏（{WIDE}）：一号")
    assert [t.name for t in tokens.list_tokens("wang")] == [f"大屏（{WIDE}）：一号"]


def _sheet(rows):
    book = Workbook()
    sheet = book.active
    titles = [t for t, _ in import_rules.COLUMNS]
    sheet.append(titles)
    for row in rows:
        sheet.append([row.get(t) for t in titles])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_imported_rows_keep_their_text(world):
    team, boss, _member = world
    year = clock.today().year - 1
    data = _sheet([
        {"项目名称": NAME, "所属专班": "TF1", "计划投资额（万元）": 1000,
         "投资方": f"投资方（{WIDE}）：集团", "联系人": f"李四，{PUNCT}",
         "下一步工作": NOTE, "存在问题": f"问题：{PUNCT}"},
        {"项目名称": f"退库项目（{WIDE}）", "所属专班": "TF1", "计划投资额（万元）": 500,
         "当前阶段": "退库", "洽谈日期": f"{year}-04-01", "退库原因": f"撤回：{PUNCT}"},
    ])
    batch, preview = uploads.import_file(boss, data, "台账（一）.xlsx", 10 * 1024 * 1024)
    assert batch is not None and [r.status for r in preview.rows] == ["new", "new"]
    row = Project.get(Project.name == NAME)
    assert (row.investor, row.contact) == (f"投资方（{WIDE}）：集团", f"李四，{PUNCT}")
    assert (row.next_step, row.problems) == (NOTE, f"问题：{PUNCT}")
    dropped = Project.get(Project.name == f"退库项目（{WIDE}）")
    assert dropped.drop_reason == f"撤回：{PUNCT}"
    # The same name again, written the ASCII way, is the same project (the key folds).
    again = _sheet([{"项目名称": "抚顺(新材料):一期,\"ABC123\"<方案>[试点]-...",
                     "所属专班": "TF1", "计划投资额（万元）": 1000,
                     "投资方": "投资方(ABC123):集团"}])
    _batch, preview = uploads.import_file(boss, again, "again.xlsx", 10 * 1024 * 1024,
                                          dry_run=True)
    assert [r.status for r in preview.rows] in (["update"], ["unchanged"])
    assert Project.select().count() == 2
