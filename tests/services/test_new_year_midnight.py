"""Around local midnight on 31 December (issue 19): at 00:30 on 1 January Beijing time
(16:30 UTC on 31 December) a stage entered "today" is dated 1 January and counts in the new
year, and the project's creation belongs to the new year's ledger; every backend."""
import datetime
from zoneinfo import ZoneInfo

from tests.factories import make_task_force, make_user
from tracker import clock
from tracker.domain import pipeline
from tracker.models import Project
from tracker.services.figures import metrics, years
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects

P = backfill_ledger(ledger_projects)

BEIJING = ZoneInfo("Asia/Shanghai")
HALF_PAST_MIDNIGHT = datetime.datetime(2027, 1, 1, 0, 30, tzinfo=BEIJING)


def test_a_stage_entered_at_half_past_midnight_counts_in_the_new_year(db, monkeypatch):
    team = make_task_force("JXHG")
    user = make_user("bureau", role="bureau")
    monkeypatch.setattr(clock, "now", lambda tz=None: HALF_PAST_MIDNIGHT.astimezone(
        tz or BEIJING))
    assert clock.today() == datetime.date(2027, 1, 1)          # not UTC's 31 December
    project = P.create_project(user, task_force=team, name="跨年项目", investor="某集团",
                               planned_investment="5000", on=clock.today(),
                               stage=pipeline.PACKAGED)
    P.change_stage(user, project.id, pipeline.SIGNED, on=clock.today(), contract_value="800")
    row = Project.get_by_id(project.id)
    assert (row.packaged_on, row.signed_on) == (datetime.date(2027, 1, 1),) * 2
    new_year = metrics.monthly_actuals(2027, datetime.date(2027, 1, 1), [team.id])[team.id]
    assert new_year["signed_value"][0] == 800 and new_year["packaged_value"][0] == 5000
    old_year = metrics.monthly_actuals(2026, datetime.date(2026, 12, 31), [team.id])
    assert sum(old_year.get(team.id, {}).get("signed_value", ())) == 0
    # the instant 16:30 UTC on 31 December is local 1 January: the creation year is 2027
    assert years.created_years(datetime.datetime(2026, 12, 31, 16, 30)) == {2027}
    assert years.created_years(datetime.datetime(2026, 12, 31, 15, 59)) == {2026}
