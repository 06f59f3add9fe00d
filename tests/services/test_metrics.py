import datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import clean_tables
from tests.factories import make_task_force, make_user
from tracker.db import database
from tracker.domain import pipeline
from tracker.services.figures import metrics as Q
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.domain.errors import ValidationError
from tracker.models import Project

from .ledger_fixture import build

S = backfill_ledger(ledger_projects)

D = datetime.date


def months(**by_month):
    return tuple(Decimal(by_month.get(f"m{i}", 0)).quantize(Decimal("0.01"))
                 for i in range(1, 13))


def test_monthly_actuals_full_year(db):
    L = build()
    got = Q.monthly_actuals(2026, D(2026, 12, 31))
    tf1, tf2 = got[L["tf1"].id], got[L["tf2"].id]
    assert tf1["packaged_value"] == months(m2=8000, m3=1000, m8=9000)
    assert tf1["negotiations"] == months(m1=1, m3=1, m4=1, m8=1)
    assert tf1["signed_value"] == months(m2=3000, m5=500, m8=7000)
    assert tf1["funds_received"] == months(m3=1000, m9=2500)
    assert tf2["packaged_value"] == months(m3=250000)
    assert tf2["negotiations"] == months()
    assert tf2["signed_value"] == months(m2=100)     # only the increase counts in 2026


def test_monthly_actuals_stop_at_as_of(db):
    L = build()
    got = Q.monthly_actuals(2026, D(2026, 5, 19), [L["tf1"].id])
    tf1 = got[L["tf1"].id]
    assert set(got) == {L["tf1"].id}
    assert tf1["signed_value"] == months(m2=3000)        # 增资 on 05-20 not yet
    assert tf1["negotiations"] == months(m1=1, m3=1, m4=1)
    assert sum(tf1["packaged_value"]) == Decimal(9000)
    # the day of the increase counts (inclusive)
    got = Q.monthly_actuals(2026, D(2026, 5, 20), [L["tf1"].id])
    assert got[L["tf1"].id]["signed_value"] == months(m2=3000, m5=500)


def test_previous_year_and_empty_ranges(db):
    L = build()
    got = Q.monthly_actuals(2025, D(2025, 12, 31))
    assert got[L["tf1"].id]["packaged_value"] == months(m11=5000)
    assert got[L["tf1"].id]["funds_received"] == months(m6=400)
    assert got[L["tf2"].id]["signed_value"] == months(m12=1000)
    assert got[L["tf2"].id]["negotiations"] == months(m12=1)
    assert Q.monthly_actuals(2026, D(2025, 12, 31)) == {}
    assert Q.monthly_actuals(2026, D(2026, 12, 31), []) == {}
    assert Q.team_monthly({}, 99)["signed_value"] == months()


def test_actual_between(db):
    L = build()
    tf1 = L["tf1"].id
    assert Q.actual_between(tf1, "signed_value", D(2026, 4, 1), D(2026, 6, 30)) == Decimal(500)
    assert Q.actual_between(tf1, "packaged_value", D(2025, 1, 1), D(2026, 2, 28)) == \
        Decimal(13000)
    assert Q.actual_between(tf1, "negotiations", D(2026, 6, 1), D(2026, 6, 30)) == 0


def test_county_funds(db):
    L = build()
    c1, c2 = L["c1"].id, L["c2"].id
    assert Q.county_monthly_funds(2026, D(2026, 12, 31)) == {
        c1: months(m3=1000), c2: months(m9=2500)}
    assert Q.county_funds_between(D(2025, 1, 1), D(2025, 12, 31)) == {c1: Decimal(400)}
    assert Q.county_funds_between(D(2026, 1, 1), D(2026, 6, 30), [c2]) == {}
    assert Q.same_day_last_year(D(2028, 2, 29)) == D(2027, 2, 28)
    # several windows in one query give what county_funds_between gives per window
    windows = {"prev": (D(2025, 1, 1), D(2025, 12, 31)), "h1": (D(2026, 1, 1), D(2026, 6, 30)),
               "year": (D(2026, 1, 1), D(2026, 12, 31)), "none": None}
    got = Q.county_funds_windows(windows)
    assert got == {name: Q.county_funds_between(*span) if span else {}
                   for name, span in windows.items()}
    assert got["year"] == {c1: Decimal(1000), c2: Decimal(2500)}
    assert Q.county_funds_windows(windows, [c2])["year"] == {c2: Decimal(2500)}
    assert Q.county_funds_windows({"none": None}) == {"none": {}}


def test_pipeline_amounts(db):
    L = build()
    got = Q.pipeline_amounts(2026)
    tf1 = got[L["tf1"].id]
    # P4 (reserve, planned 2000) and P5 (negotiating, planned 1000; no contract value yet,
    # so planned x 0.2); P2 is dropped and P1/P3 are signed: none of them is pipeline
    assert tf1["signed_value"] == {"reserve": Decimal(400), "negotiating": Decimal(200)}
    assert tf1["negotiations"] == {"reserve": Decimal(1)}
    assert tf1["packaged_value"] == {"reserve": Decimal(2000)}
    assert L["tf2"].id not in got
    assert Q.pipeline_amounts(2027) == {}
    # a known contract value is used as is; the share is configurable
    S.update_project(L["user"], Project.get(Project.name == "P5"), contract_value="1500")
    got = Q.pipeline_amounts(2026, [L["tf1"].id], contract_share="0.5")
    assert got[L["tf1"].id]["signed_value"] == {"reserve": Decimal(1000),
                                                "negotiating": Decimal(1500)}
    # expected dates already passed at as_of no longer count (P5: 12-01, P4: 12-15)
    got = Q.pipeline_amounts(2026, as_of=D(2026, 12, 5))
    assert got[L["tf1"].id]["signed_value"] == {"reserve": Decimal(400)}
    assert Q.pipeline_amounts(2026, as_of=D(2026, 12, 15)) == {}


def test_pipeline_figures_equal_the_ledger_aggregate(db):
    """The maintained pipeline figures give what the projects aggregate to, for windows
    starting on a 1st, inside a month and after the year, for all and some task forces."""
    from tracker.services.figures import from_ledger
    L = build()
    S.update_project(L["user"], Project.get(Project.name == "P5"), contract_value="1500")
    S.update_project(L["user"], Project.get(Project.name == "P4"),
                     expected_sign_date=D(2026, 11, 20))
    for as_of in (None, D(2026, 1, 5), D(2026, 10, 31), D(2026, 11, 19), D(2026, 11, 20),
                  D(2026, 12, 1), D(2026, 12, 31)):
        for ids in (None, [L["tf1"].id], [L["tf2"].id], []):
            want = from_ledger.pipeline_amounts(2026, ids, as_of=as_of, contract_share="0.3")
            got = Q.pipeline_amounts(2026, ids, as_of=as_of, contract_share="0.3")
            assert got == want, (as_of, ids)
    assert Q.pipeline_amounts(2026, as_of=D(2026, 10, 31))[L["tf1"].id]["packaged_value"] == {
        "reserve": Decimal(2000)}


# --- properties on a real database (SQLite: the backend does not matter here) ---

MOVES = st.lists(
    st.tuples(st.sampled_from(pipeline.STAGES),
              st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 12, 31))),
    min_size=1, max_size=8)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(MOVES, min_size=1, max_size=3))
def test_projects_never_count_twice_and_cumulative_never_decreases(sqlite_app, histories):
    with sqlite_app.app_context():
        clean_tables()
        user = make_user("p", role="bureau")
        team = make_task_force("TFP")
        projects = []
        for i, history in enumerate(histories):
            p = S.create_project(user, task_force=team, name=f"P{i}", planned_investment="10",
                                 on=D(2025, 1, 1))
            for stage, on in history:
                try:
                    S.change_stage(user, p, stage, on=on, note="改", reason="退",
                                   contract_value="7")
                except ValidationError:
                    pass
            projects.append(p)
        counted = Decimal(0)
        for year in (2025, 2026):
            previous = None
            for as_of in (D(year, 3, 31), D(year, 6, 30), D(year, 9, 1), D(year, 12, 31)):
                monthly = Q.team_monthly(Q.monthly_actuals(year, as_of, [team.id]), team.id)
                now = {k: sum(v) for k, v in monthly.items()}
                if previous:
                    assert all(now[k] >= previous[k] for k in now)
                previous = now
            counted += previous["negotiations"]
        reached = sum(1 for p in projects
                      if Project.get_by_id(p.id).negotiating_on is not None)
        assert counted == reached <= len(projects)
        database.close()


# --- corrections: voided rows and amounts in force ---------------------------------

def test_voided_rows_never_count_in_any_aggregate(db):
    from tracker.models import CapitalIncrease, FundReceipt, StageEvent
    from tracker.services.ledger import corrections
    from tracker.services.figures import recompute
    L = build()
    user = L["user"]
    p1 = Project.get(Project.name == "P1")
    receipt = FundReceipt.get((FundReceipt.project == p1.id)
                              & (FundReceipt.received_on == D(2026, 3, 5)))
    increase = CapitalIncrease.get(CapitalIncrease.project == p1.id)
    corrections.void(user, p1.id, "funds", receipt.id, reason="重复登记")
    corrections.void(user, p1.id, "increase", increase.id, reason="协议未生效")
    tf1 = Q.monthly_actuals(2026, D(2026, 12, 31))[L["tf1"].id]
    assert tf1["funds_received"] == months(m9=2500)
    assert tf1["signed_value"] == months(m2=3000, m8=7000)
    for as_of in (D(2026, 3, 5), D(2026, 5, 20), D(2026, 12, 31)):
        assert Q.actual_between(L["tf1"].id, "funds_received", D(2026, 1, 1), as_of) == \
            (2500 if as_of.month == 12 else 0)
    assert Q.county_monthly_funds(2026, D(2026, 12, 31)) == {L["c2"].id: months(m9=2500)}
    assert Q.county_funds_between(D(2026, 1, 1), D(2026, 6, 30)) == {}
    assert Q.county_funds_windows({"h1": (D(2026, 1, 1), D(2026, 6, 30))}) == {"h1": {}}
    # the nightly recompute never takes a voided event as history
    signing = StageEvent.get((StageEvent.project == p1.id) & (StageEvent.stage == "signed"))
    corrections.void(user, p1.id, "stage", signing.id, reason="签约未完成")
    assert Project.get_by_id(p1.id).signed_on is None
    result = recompute.recompute(D(2026, 12, 31))
    assert p1.id not in result.projects
    assert Project.get_by_id(p1.id).signed_on is None
    assert Q.monthly_actuals(2026, D(2026, 12, 31))[L["tf1"].id]["signed_value"] == \
        months(m8=7000)
