"""seed.py: demo data shape, idempotency, --if-empty, determinism, logins."""
import datetime
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from tracker import clock
from tracker.demo import data as demo_data
from tracker.demo import plan as demo_plan
from tracker.demo import seed as demo_module
from tracker.domain import pipeline
from peewee import fn

from tracker.models import (
    AuditLog, CapitalIncrease, County, FundReceipt, Membership, Project, StageEvent, TaskForce,
    TaskForceCounty, User, all_models,
)
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.db import database, make_database
from tests.conftest import make_app
from tests.factories import make_task_force

project_service = backfill_ledger(ledger_projects)

TODAY = datetime.date(2026, 11, 25)
PASSWORD = "seed-test-pass"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _seed_module(app, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    app.config["SEED_PASSWORD"] = PASSWORD
    return demo_module


@pytest.fixture
def seed(app, monkeypatch):
    """seed module on every backend (idempotency and --if-empty)."""
    with app.app_context():
        yield _seed_module(app, monkeypatch)


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    """One SQLite database seeded once for the read-only tests of this module: the
    shape of the data does not depend on the backend (the services it goes through
    are tested on every backend, and test_seed_is_idempotent seeds every backend)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(clock, "today", lambda: TODAY)
    path = tmp_path_factory.mktemp("seeded")
    app = make_app(f"sqlite:///{path}/seeded.db", path / "instance", SEED_PASSWORD=PASSWORD)
    with app.app_context():
        seed = demo_module
        lines = []
        result = seed.run(echo=lines.append)
    yield app, seed, result, lines
    patch.undo()


@pytest.fixture
def seeded(seeded_app, monkeypatch):
    app, seed, result, lines = seeded_app
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    # The peewee proxy is global: point it back at this module's database.
    database.initialize(make_database(app.config["DATABASE_URL"]))
    with app.app_context():
        yield seed, result, lines
    database.close()


def _counts():
    return {model.__name__: model.select().count() for model in all_models()}


def test_seed_is_idempotent(seed):
    first = seed.run(if_empty=True, echo=lambda *_: None)  # empty ledger: seeds
    assert first == {"skipped": False, "created": Project.select().count()}
    assert first["created"] >= 150
    before = _counts()
    second = seed.run(echo=lambda *_: None)
    assert second["created"] == 0
    assert _counts() == before
    third = seed.run(if_empty=True, echo=lambda *_: None)
    assert third["skipped"] is True
    assert _counts() == before


def test_if_empty_skips_when_projects_exist(seed, app):
    team = make_task_force("OWN", "自建专班")
    project_service.create_project(None, task_force=team, name="已有项目",
                                   planned_investment="1000", on=TODAY)
    lines = []
    result = seed.run(if_empty=True, echo=lines.append)
    assert result["skipped"] is True
    assert Project.select().count() == 1
    assert TaskForce.select().count() == 1
    assert any("跳过" in line for line in lines)


def test_task_forces_counties_and_users(seeded):
    kinds = {}
    for team in TaskForce.select():
        kinds.setdefault(team.kind, []).append(team.industry)
    assert sorted(kinds["6"]) == sorted(["精细化工", "高端装备", "新材料", "清洁能源", "数字经济",
                                         "现代服务"])
    assert len(kinds["N"]) >= 3
    names = {t.name for t in TaskForce.select()}
    assert "抚顺石化专班" in names and "抚矿集团专班" in names
    assert County.select().count() == 7
    assert County.select().where(County.kind == "zone").count() >= 1
    assert TaskForceCounty.select().count() >= TaskForce.select().count()
    roles = {u.role: u for u in User.select()}
    assert set(roles) == {"admin", "bureau", "lead", "member"}
    assert all(u.email.endswith("@example.com") for u in roles.values())
    assert Membership.select().where(Membership.user == roles["lead"]).count() >= 1
    assert Membership.select().where(Membership.user == roles["member"]).count() >= 1
    assert Membership.select().where(Membership.user == roles["bureau"]).count() == 0


def test_projects_cover_the_pipeline_and_both_years(seeded):
    stages = {stage for (stage,) in Project.select(Project.stage).distinct().tuples()}
    assert set(pipeline.STAGES) <= stages
    days = [d for (d,) in StageEvent.select(StageEvent.occurred_on).tuples()]
    assert min(days) >= datetime.date(TODAY.year - 1, 1, 1)
    assert max(days) <= TODAY
    assert {d.year for d in days} == {TODAY.year - 1, TODAY.year}
    per_year = {y: sum(1 for d in days if d.year == y) for y in (TODAY.year - 1, TODAY.year)}
    assert min(per_year.values()) >= 100
    # Every project reached its stage through the services: create + stage events + audit.
    for project in Project.select():
        assert project.stage_events.count() >= 1
        assert project.last_progress_on is not None and project.last_progress_on <= TODAY
    assert AuditLog.select().where((AuditLog.entity == "project")
                                   & (AuditLog.action == "create")).count() \
        == Project.select().count()
    # Every project from 签约 on has a contract value; dropped ones a reason.
    for project in Project.select().where(Project.signed_on.is_null(False)):
        assert project.contract_value and project.contract_value > 0
    dropped = list(Project.select().where(Project.stage == pipeline.DROPPED))
    assert len(dropped) >= 5
    assert all(p.drop_reason.strip() for p in dropped)


def test_investors_funds_and_capital_increases(seeded):
    tags = " ".join(t for (t,) in Project.select(Project.tags).tuples())
    assert "央企" in tags and "世界500强" in tags
    regions = {r for (r,) in Project.select(Project.investor_region).distinct().tuples()}
    assert {"长三角", "央企", "日韩"} <= regions
    assert Project.select().where(Project.capital_type == "foreign").count() >= 3
    receipts = list(FundReceipt.select())
    assert len(receipts) >= 50
    assert {r.received_on.year for r in receipts} == {TODAY.year - 1, TODAY.year}
    assert all(r.received_on <= TODAY and r.amount > 0 for r in receipts)
    usd = [r for r in receipts if r.currency == "USD"]
    assert usd and all(r.source_layer == "境外" and r.original_amount for r in usd)
    increases = list(CapitalIncrease.select(CapitalIncrease, Project).join(Project))
    assert len(increases) >= 3
    assert all(c.occurred_on >= c.project.signed_on for c in increases)


def test_some_projects_are_stale(seeded):
    live = Project.select().where(Project.stage.in_(
        [pipeline.RESERVE, pipeline.PACKAGED, pipeline.NEGOTIATING, pipeline.SIGNED]))
    ages = [(TODAY - p.last_progress_on).days for p in live]
    assert any(60 <= a < 90 for a in ages)
    assert any(90 <= a < 180 for a in ages)
    assert any(a >= 180 for a in ages)
    fresh = sum(1 for a in ages if a < 60)
    assert fresh > len(ages) / 2  # stale projects are the exception


def test_a_year_of_follow_ups_busier_teams_log_more(seeded):
    from tracker.models import Activity, ActivityProject
    counts = dict(Activity.select(TaskForce.code, fn.COUNT(Activity.id)).join(TaskForce)
                  .group_by(TaskForce.code).tuples())
    assert len(counts) == len(demo_data.TASK_FORCES) and sum(counts.values()) > 300
    assert counts["JXHG"] > 2 * counts["FWZG"]
    assert Activity.select().where(Activity.leader_led == True).exists()  # noqa: E712
    assert ActivityProject.select().count() > sum(counts.values()) / 3
    # an activity never moved a project's last progress (the stale demo projects stay stale)
    late = (ActivityProject.select().join(Activity).switch(ActivityProject).join(Project)
            .where(Activity.occurred_on > Project.last_progress_on).count())
    assert late == 0


def test_a_handful_of_supervision_items(seeded):
    from tracker.models import SupervisionItem, SupervisionReply
    states = sorted(i.state for i in SupervisionItem.select())
    assert states == ["closed", "in_progress", "open", "open"]
    assert SupervisionItem.select().where((SupervisionItem.deadline < TODAY)
                                          & (SupervisionItem.state != "closed")).count() == 1
    assert SupervisionItem.select().where(SupervisionItem.instruction != "").count() == 1
    assert SupervisionReply.select().count() == 3


def _packaged_this_year(code):
    total = Decimal(0)
    for p in Project.select().join(TaskForce).where(TaskForce.code == code):
        if p.packaged_on and p.packaged_on.year == TODAY.year:
            total += p.planned_investment
    return total


def test_task_forces_perform_differently(seeded):
    time_share = Decimal(TODAY.month - 1) / 12
    goal = demo_plan.ANNUAL_PACKAGED * time_share
    ahead = [tf["code"] for tf in demo_data.TASK_FORCES if tf["strength"] > 1.1]
    behind = [tf["code"] for tf in demo_data.TASK_FORCES if tf["strength"] < 0.6]
    assert ahead and behind
    for code in ahead:
        assert _packaged_this_year(code) >= goal
    for code in behind:
        assert _packaged_this_year(code) < goal * Decimal("0.7")


def test_run_prints_logins_that_work(seeded, seeded_app):
    _, _, lines = seeded
    text = "\n".join(lines)
    assert "/login" in text
    for username in ("admin", "bureau", "lead", "member"):
        assert f"用户名 {username}" in text
    assert PASSWORD in text
    client = seeded_app[0].test_client()
    response = client.post("/login", data={"username": "lead", "password": PASSWORD})
    assert response.status_code == 302


def test_generated_password_is_kept_in_instance(sqlite_app):
    with sqlite_app.app_context():
        seed = demo_module
        first = seed._password(sqlite_app)
        assert len(first) >= 8
        assert seed._password(sqlite_app) == first
        with open(os.path.join(sqlite_app.instance_path, "seed_password")) as fh:
            assert fh.read().strip() == first


def test_plan_is_deterministic_and_names_do_not_depend_on_today(sqlite_app):
    with sqlite_app.app_context():
        seed = demo_module
    one, two = seed.build_plan(TODAY), seed.build_plan(TODAY)
    assert [(p.name, p.investor, p.planned, [s.on for s in p.steps]) for p in one] == \
        [(p.name, p.investor, p.planned, [s.on for s in p.steps]) for p in two]
    later = seed.build_plan(TODAY + datetime.timedelta(days=40))
    assert [(p.task_force, p.name, p.investor) for p in one] == \
        [(p.task_force, p.name, p.investor) for p in later]
    keys = [(p.task_force, p.name, p.investor) for p in one]
    assert len(keys) == len(set(keys)) >= 150


def test_python_seed_py_runs(tmp_path):
    env = dict(os.environ, TRACKER_DATABASE_URL=f"sqlite:///{tmp_path}/cli.db",
               TRACKER_SEED_PASSWORD=PASSWORD, TRACKER_SECRET_KEY="x" * 32)
    python = sys.executable
    flask = os.path.join(os.path.dirname(python), "flask")
    subprocess.run([flask, "--app", "tracker", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    done = subprocess.run([python, "seed.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "用户名 admin" in done.stdout
    again = subprocess.run([python, "seed.py", "--if-empty"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "跳过" in again.stdout
