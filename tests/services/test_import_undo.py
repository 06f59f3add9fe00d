"""撤销本批导入 (issue "Spreadsheets in and out"): undo restores the ledger and the
maintained figures exactly, refuses a batch whose projects changed, follows the
closed-period rule, and races to one undo. Every backend (the ``db`` fixture)."""
import datetime

import pytest

from tests.factories import make_project, make_task_force, make_user
from tests.races import run_together
from tests.services.test_import import book_bytes, row
from tracker import clock
from tracker.domain.errors import NotFound, ValidationError
from tracker.models import (AuditLog, ImportBatch, ImportBatchProject, Project, ProjectYear,
    StageEvent)
from tracker.services.figures import monthly
from tracker.services.imports import commit as import_commit
from tracker.services.imports import undo, uploads
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects

P = backfill_ledger(ledger_projects)

LIMIT = 10 * 1024 * 1024


def _today():
    return clock.today()


def _last_year(month, day):
    return datetime.date(_today().year - 1, month, day)


@pytest.fixture
def world(db):
    team = make_task_force("TF1")
    admin = make_user("admin", role="admin")
    member = make_user("member", role="member", task_forces=[team])
    other = make_user("other", role="member", task_forces=[team])
    existing = make_project(team, "已有项目", user=admin, on=_last_year(2, 1),
                            stage="signed", contract_value="800")
    return dict(team=team, admin=admin, member=member, other=other, existing=existing)


def _import(user, rows, **kw):
    result = uploads.preview_bytes(user, book_bytes(rows), "台账.xlsx", LIMIT)
    assert all(not r.errors for r in result.rows), [r.errors for r in result.rows]
    return import_commit.commit(user, result, acknowledged=True, **kw)


def _ledger():
    """Everything an undo must put back as it was."""
    return (sorted(Project.select(Project.id, Project.name, Project.stage).tuples()),
            StageEvent.select().count(), ProjectYear.select().count(),
            ImportBatchProject.select().count(), monthly.stored())


def _open_rows():
    day = _today()
    return [row(项目名称="新材料一期", 当前阶段="签约", 签约额="3000",
                策划包装日期=day, 洽谈日期=day, 签约日期=day),
            row(项目名称="储能项目（二期）", 计划投资额="120000"),
            row(项目名称="氢能装备", 当前阶段="洽谈", 洽谈日期=day)]


def test_undo_restores_the_ledger_and_the_figures_exactly(world):
    before = _ledger()
    rows = _open_rows() + [row(项目名称="去年项目", 当前阶段="洽谈", 洽谈日期=_last_year(5, 1))]
    batch = _import(world["admin"], rows)
    assert batch.created == 4 and _ledger() != before
    found = undo.check(world["admin"], batch.id)
    assert found.possible and len(found.created) == 4 and not found.changed
    undo.undo(world["admin"], batch.id, "模板填错（单位应为亿元）")
    assert _ledger() == before
    assert monthly.check().rows == []            # the figures equal a recomputation
    done = ImportBatch.get_by_id(batch.id)
    assert done.undone_at is not None and done.undone_by_id == world["admin"].id
    assert (done.undo_reason, done.undone_projects) == ("模板填错（单位应为亿元）", 4)
    log = AuditLog.get((AuditLog.entity == "import_batch") & (AuditLog.action == "undo"))
    assert log.entity_id == batch.id and "储能项目（二期）" in log.before
    # the projects' own history stays readable in the audit trail
    assert AuditLog.select().where((AuditLog.entity == "project")
                                   & (AuditLog.action == "import")).count() == 4


def test_the_importer_undoes_an_open_quarter_batch_another_member_may_not(world):
    batch = _import(world["member"], _open_rows())
    with pytest.raises(ValidationError) as exc:
        undo.undo(world["other"], batch.id, "不是我的")
    assert undo.NOT_YOURS in exc.value.errors["__all__"]
    undo.undo(world["member"], batch.id, "重复导入")
    assert not Project.select().where(Project.name == "氢能装备").exists()


def test_a_closed_quarter_batch_needs_the_bureau(world):
    rows = [row(项目名称="去年项目", 当前阶段="洽谈", 洽谈日期=_last_year(5, 1))]
    # a member's spreadsheet cannot write a closed quarter (issue 19): the row is an error
    refused = uploads.preview_bytes(world["member"], book_bytes(rows), "台账.xlsx", LIMIT)
    assert [r.status for r in refused.rows] == ["error"]
    assert "已结束的" in refused.rows[0].errors[0][2] and "商务局导入" in refused.rows[0].errors[0][2]
    batch = _import(world["admin"], rows)
    before = _ledger()
    with pytest.raises(ValidationError):
        undo.undo(world["member"], batch.id, "填错")
    assert _ledger() == before
    undo.undo(world["admin"], batch.id, "填错")
    assert not Project.select().where(Project.name == "去年项目").exists()


def test_a_changed_project_blocks_the_undo_and_is_named(world):
    batch = _import(world["member"], _open_rows())
    moved = Project.get(Project.name == "氢能装备")
    P.change_stage(world["member"], moved.id, "signed", on=_today(), contract_value="500")
    funded = Project.get(Project.name == "新材料一期")
    P.record_funds(world["member"], funded.id, received_on=_today(), amount="100")
    before = _ledger()
    found = undo.check(world["member"], batch.id)
    assert not found.possible
    assert sorted(p.name for p, _why in found.changed) == ["新材料一期", "氢能装备"]
    with pytest.raises(ValidationError) as exc:
        undo.undo(world["member"], batch.id, "撤销")
    message = exc.value.errors["__all__"]
    assert "「氢能装备」（已修改或推进阶段）" in message and "「新材料一期」（已登记到位资金）" in message
    assert _ledger() == before and ImportBatch.get_by_id(batch.id).undone_at is None


def test_updates_of_existing_projects_stay_and_a_second_undo_is_refused(world):
    existing = world["existing"]
    rows = [row(项目名称=existing.name, 投资方=existing.investor, 计划投资额="999",
                当前阶段="签约", 签约额="800", 签约日期=_last_year(2, 1),
                策划包装日期=_last_year(2, 1), 洽谈日期=_last_year(2, 1)),
            row(项目名称="新项目", 计划投资额="50")]
    batch = _import(world["admin"], rows, on_duplicate="update")
    assert (batch.created, batch.updated) == (1, 1)
    found = undo.check(world["admin"], batch.id)
    assert found.updated == 1 and [p.name for p in found.created] == ["新项目"]
    undo.undo(world["admin"], batch.id, "只撤销新建")
    assert Project.get_by_id(existing.id).planned_investment == 999
    assert monthly.check().rows == []
    with pytest.raises(ValidationError) as exc:
        undo.undo(world["admin"], batch.id, "再来一次")
    assert "已于" in exc.value.errors["__all__"]


def test_bad_input_writes_nothing(world):
    batch = _import(world["member"], _open_rows())
    with pytest.raises(ValidationError) as exc:
        undo.undo(world["member"], batch.id, "  \u200b ")
    assert set(exc.value.errors) == {"reason"}
    with pytest.raises(NotFound):
        undo.undo(world["member"], 10**8, "x")
    with pytest.raises(NotFound):
        undo.check(world["member"], "abc")
    assert ImportBatch.get_by_id(batch.id).undone_at is None


def test_two_undos_at_once_apply_once(app, world):
    bureau = make_user("bureau", role="bureau")
    for n in range(3):
        batch = _import(world["admin"], [row(项目名称=f"并发项目{n}", 计划投资额="10")])
        outcomes = run_together(app, *[
            (lambda u=u: undo.undo(u, batch.id, "并发撤销"))
            for u in (world["admin"], bureau)])
        wins = [r for r, e in outcomes if e is None]
        losses = [e for r, e in outcomes if e is not None]
        assert len(wins) == 1 and len(losses) == 1, outcomes
        assert isinstance(losses[0], ValidationError) and "已于" in losses[0].errors["__all__"]
        assert AuditLog.select().where((AuditLog.entity == "import_batch")
                                       & (AuditLog.action == "undo")
                                       & (AuditLog.entity_id == batch.id)).count() == 1
    assert monthly.check().rows == []
