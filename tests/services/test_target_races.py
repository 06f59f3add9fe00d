"""Two bureau users changing targets or task forces at the same moment, on every backend:
real threads released together by a barrier (tests/races.py), then the rows are counted
(docs/design.md, The write path)."""
import json
from decimal import Decimal

import pytest

from tests.factories import make_county, make_task_force, make_user
from tests.races import run_together
from tracker.domain.errors import ValidationError
from tracker.models import AuditLog, CheckpointShare, CountyTarget, TaskForce, TaskForceTarget
from tracker.services.targets import annual as T
from tracker.services.targets.shares import shares_for
from tracker.services.targets.counties import set_county_target
from tracker.services.targets import shares as target_shares
from tracker.services.taskforces import teams as taskforces

ROUNDS = 3


@pytest.fixture
def bosses(db):
    return make_user("boss1", "bureau"), make_user("boss2", "bureau")


@pytest.fixture
def teams(db):
    return [make_task_force(f"TF{i}") for i in range(1, 4)]


def _results(outcomes):
    """Every call returned (no exception at all): the returned values."""
    for _result, exc in outcomes:
        assert exc is None, repr(exc)
    return [result for result, _exc in outcomes]


def _audits(entity):
    return [(json.loads(r.before) if r.before else None, json.loads(r.after))
            for r in AuditLog.select().where(AuditLog.entity == entity).order_by(AuditLog.id)]


def _versions(team_id, year, metric):
    return [r.version for r in TaskForceTarget.select().where(
        (TaskForceTarget.task_force == team_id) & (TaskForceTarget.year == year)
        & (TaskForceTarget.metric == metric)).order_by(TaskForceTarget.version)]


def test_two_users_apply_defaults_for_a_new_year_at_once(app, bosses, teams):
    """The known bug: both read "no targets yet", both inserted version 1, and the loser's
    unique-constraint error became a 500 on PostgreSQL and MariaDB."""
    for year in range(2026, 2026 + ROUNDS):
        outcomes = run_together(app, *[(lambda u=u: T.apply_defaults(year, u)) for u in bosses])
        assert sorted(_results(outcomes)) == [0, 9]          # one wrote 3 x 3, one nothing
        rows = list(TaskForceTarget.select().where(TaskForceTarget.year == year))
        assert len(rows) == 9 and {r.version for r in rows} == {1}
        after = [a for _b, a in _audits("target") if a["year"] == year]
        assert len(after) == 9


def test_apply_defaults_racing_a_hand_set_target(app, bosses, teams):
    for year in range(2026, 2026 + ROUNDS):
        outcomes = run_together(
            app, lambda: T.apply_defaults(year, bosses[0]),
            lambda: T.set_targets(bosses[1], teams[0].id, year, {"signed_value": "123"}))
        defaults, hand = _results(outcomes)
        assert hand == 1 and defaults in (8, 9)
        versions = _versions(teams[0].id, year, "signed_value")
        assert versions == list(range(1, len(versions) + 1))       # no gap, no duplicate
        # the hand-set value wins when it came second; kept when defaults came second
        assert T.current_target(teams[0], year, "signed_value").value == Decimal("123.00")
        assert TaskForceTarget.select().where(TaskForceTarget.year == year).count() \
            == 9 + (defaults == 9)


def test_two_set_targets_on_one_task_force_make_versions_1_and_2(app, bosses, teams):
    team = teams[0]
    for n, year in enumerate(range(2026, 2026 + ROUNDS)):
        outcomes = run_together(app, *[
            (lambda u=u, v=v: T.set_targets(u, team.id, year, {"signed_value": v,
                                                               "negotiations": "20"},
                                            reason=f"第{n}轮"))
            for u, v in zip(bosses, ("150000", "180000"))])
        assert sorted(_results(outcomes)) == [1, 2]     # the second finds negotiations set
        assert _versions(team.id, year, "signed_value") == [1, 2]
        assert _versions(team.id, year, "negotiations") == [1]
        audits = [(b, a) for b, a in _audits("target")
                  if a["year"] == year and a["metric"] == "signed_value"]
        assert [a["version"] for _b, a in audits] == [1, 2]
        # the second writer saw the first one's version
        assert audits[1][0] == {"value": audits[0][1]["value"], "version": 1}


def test_two_identical_set_targets_write_one_version(app, bosses, teams):
    for year in range(2026, 2026 + ROUNDS):
        outcomes = run_together(app, *[
            (lambda u=u: T.set_target(u, teams[1].id, year, "packaged_value", "900000"))
            for u in bosses])
        rows = _results(outcomes)
        assert rows[0].id == rows[1].id and rows[0].version == 1
        assert _versions(teams[1].id, year, "packaged_value") == [1]


def test_two_county_goal_changes_make_versions_1_and_2(app, bosses):
    county = make_county("C1")
    for year in range(2026, 2026 + ROUNDS):
        outcomes = run_together(app, *[
            (lambda u=u, g=g: set_county_target(u, county.id, year, growth_pct=g))
            for u, g in zip(bosses, ("25", "30"))])
        _results(outcomes)
        versions = [r.version for r in CountyTarget.select().where(CountyTarget.year == year)
                    .order_by(CountyTarget.version)]
        assert versions == [1, 2]


@pytest.mark.parametrize("same", [True, False])
def test_two_share_changes_for_a_new_year(app, bosses, same):
    for year in range(2026, 2026 + ROUNDS):
        mine = {"signed_value": ["10", "40", "70", "100"]}
        theirs = mine if same else {"signed_value": ["20", "45", "70", "100"]}
        outcomes = run_together(app, lambda: target_shares.set_all_shares(bosses[0], year, mine),
                                lambda: target_shares.set_all_shares(bosses[1], year, theirs))
        assert sorted(_results(outcomes)) == ([0, 1] if same else [1, 1])
        assert CheckpointShare.select().where(CheckpointShare.year == year).count() == 1
        audits = [(b, a) for b, a in _audits("checkpoint_share") if a["year"] == year]
        assert len(audits) == (1 if same else 2)
        assert audits[0][0] is None                      # the first one created the row
        if not same:                                     # the second saw the first's shares
            assert audits[1][0] == {"shares": audits[0][1]["shares"]}
            assert shares_for(year)["signed_value"] in (
                (10, 40, 70, 100), (20, 45, 70, 100))


def test_a_confirmation_covers_only_the_version_it_was_shown(app, bosses, teams):
    """Entry (亿元): one user confirms 20 -> 250 亿元 (×12.5) while another sets 10 亿元.
    Whichever comes second sees a different current version than the one its check was
    made against, so it is refused with NeedsConfirmation: exactly one write per round."""
    from tracker.domain.targets import NeedsConfirmation
    from tracker.services.targets import entry as E
    team = teams[2]
    for year in range(2026, 2026 + ROUNDS):
        E.enter_targets(bosses[0], team.id, year, {"signed_value": "20"}, "下达")
        with pytest.raises(NeedsConfirmation) as asked:
            E.enter_targets(bosses[0], team.id, year, {"signed_value": "250"}, "上调")
        outcomes = run_together(
            app, lambda: E.enter_targets(bosses[0], team.id, year, {"signed_value": "250"},
                                         "上调", confirm=asked.value.token),
            lambda: E.enter_targets(bosses[1], team.id, year, {"signed_value": "10"}, "下调"))
        wins = [r for r, e in outcomes if e is None]
        losses = [e for _r, e in outcomes if e is not None]
        assert wins == [1] and len(losses) == 1
        assert isinstance(losses[0], NeedsConfirmation), repr(losses[0])
        assert _versions(team.id, year, "signed_value") == [1, 2]
        assert T.current_target(team, year, "signed_value").value in (
            Decimal("2500000.00"), Decimal("100000.00"))


# --- task forces ---------------------------------------------------------------------------

def _form(team, **changes):
    data = {"code": team.code, "name": team.name, "kind": team.kind,
            "industry": team.industry, "lead_department": team.lead_department,
            "leader": team.leader, "active": team.active, "counties": [], "members": []}
    data.update(changes)
    return data


def test_two_edits_of_one_task_force(app, bosses, teams):
    team = teams[0]
    for n in range(ROUNDS):
        outcomes = run_together(
            app, lambda: taskforces.save_task_force(bosses[0], _form(team, name=f"甲{n}"),
                                                    team_id=team.id),
            lambda: taskforces.save_task_force(bosses[1], _form(team, leader=f"乙{n}"),
                                               team_id=team.id))
        _results(outcomes)
        audits = [(b, a) for b, a in _audits("task_force")][-2:]
        assert len(audits) == 2 and all(b is not None for b, _a in audits)
        # one audit row per change; the second writer started from the first one's result
        row = TaskForce.get_by_id(team.id)
        final = {"name": row.name, "leader": row.leader}
        assert final in ({"name": f"甲{n}", "leader": team.leader},
                         {"name": team.name, "leader": f"乙{n}"})
        team = row


def test_two_creates_with_one_code(app, bosses):
    for n in range(ROUNDS):
        data = [{"code": f"NEW{n}", "name": f"新专班{n}{who}", "kind": "6"} for who in "甲乙"]
        outcomes = run_together(app, *[
            (lambda u=u, d=d: taskforces.save_task_force(u, d)) for u, d in zip(bosses, data)])
        wins = [r for r, e in outcomes if e is None]
        losses = [e for r, e in outcomes if e is not None]
        assert len(wins) == 1 and len(losses) == 1
        assert isinstance(losses[0], ValidationError), repr(losses[0])
        assert "已被使用" in losses[0].errors["code"]
        assert TaskForce.select().where(TaskForce.code == f"NEW{n}").count() == 1
        assert AuditLog.select().where((AuditLog.entity == "task_force")
                                       & (AuditLog.entity_id == wins[0].id)).count() == 1


def test_two_task_forces_renamed_to_one_name(app, bosses, teams):
    for n in range(ROUNDS):
        outcomes = run_together(app, *[
            (lambda u=u, t=t: taskforces.save_task_force(u, _form(t, name=f"同名{n}"),
                                                         team_id=t.id))
            for u, t in zip(bosses, teams[:2])])
        losses = [e for _r, e in outcomes if e is not None]
        assert len(losses) == 1 and isinstance(losses[0], ValidationError), repr(losses)
        assert losses[0].errors == {"name": f"专班名称「同名{n}」已存在。"}
        assert TaskForce.select().where(TaskForce.name == f"同名{n}").count() == 1
        teams[:2] = [TaskForce.get_by_id(t.id) for t in teams[:2]]
