"""A hand-built ledger whose numbers the metric and progress tests work out by hand.

TF1 (all dates 2026 unless noted; amounts 万元):
  P1 packaged 2025-11-20 (planned 5000) -> negotiating 01-15 -> signed 02-10 (3000);
     增资 05-20 +500; funds 2025-06-01 400 and 03-05 1000; county C1
  P2 reserve 02-01 (8000) -> packaged 02-20 -> negotiating 04-10 -> back to packaged
     05-01 -> negotiating again 06-15 -> 退库 07-01 (counts once, keeps what it earned)
  P3 created signed 08-08 (planned 9000, contract 7000); funds 09-09 2500; county C2
  P4 reserve 03-01 (planned 2000), expected signing 12-15      (pipeline only)
  P5 negotiating 03-03 (planned 1000), expected signing 12-01  (pipeline + counted)
TF2:
  Q1 packaged 03-31 (planned 250000)
  Q2 signed 2025-12-31 (contract 1000; counts in 2025); 增资 02-02 +100

TF1 2026 per month:  packaged Feb 8000, Mar 1000, Aug 9000      = 18000
                     negotiations Jan 1, Mar 1, Apr 1, Aug 1      = 4
                     signed Feb 3000, May 500, Aug 7000           = 10500
                     funds Mar 1000, Sep 2500                     = 3500
TF2 2026:            packaged Mar 250000; signed Feb 100
"""
import datetime

from tests.backfill import ledger as backfill
from tracker.services.ledger import projects

from tests.factories import make_county, make_task_force, make_user

S = backfill(projects)

D = datetime.date


def build():
    u = make_user("bureau1", role="bureau")
    tf1, tf2 = make_task_force("TF1"), make_task_force("TF2")
    c1, c2 = make_county("C1"), make_county("C2")

    p1 = S.create_project(u, task_force=tf1, name="P1", planned_investment="5000",
                          on=D(2025, 11, 20), stage="packaged", county=c1)
    S.change_stage(u, p1, "negotiating", on=D(2026, 1, 15))
    S.change_stage(u, p1, "signed", on=D(2026, 2, 10), contract_value="3000")
    S.add_capital_increase(u, p1, on=D(2026, 5, 20), amount="500")
    S.record_funds(u, p1, received_on=D(2025, 6, 1), amount="400")
    S.record_funds(u, p1, received_on=D(2026, 3, 5), amount="1000")

    p2 = S.create_project(u, task_force=tf1, name="P2", planned_investment="8000",
                          on=D(2026, 2, 1))
    S.change_stage(u, p2, "packaged", on=D(2026, 2, 20))
    S.change_stage(u, p2, "negotiating", on=D(2026, 4, 10))
    S.change_stage(u, p2, "packaged", on=D(2026, 5, 1), note="对方暂停洽谈")
    S.change_stage(u, p2, "negotiating", on=D(2026, 6, 15))
    S.change_stage(u, p2, "dropped", on=D(2026, 7, 1), reason="投资方撤回")

    p3 = S.create_project(u, task_force=tf1, name="P3", planned_investment="9000",
                          on=D(2026, 8, 8), stage="signed", contract_value="7000", county=c2)
    S.record_funds(u, p3, received_on=D(2026, 9, 9), amount="2500")

    S.create_project(u, task_force=tf1, name="P4", planned_investment="2000",
                     on=D(2026, 3, 1), expected_sign_date=D(2026, 12, 15))
    S.create_project(u, task_force=tf1, name="P5", planned_investment="1000",
                     on=D(2026, 3, 3), stage="negotiating", expected_sign_date=D(2026, 12, 1))

    S.create_project(u, task_force=tf2, name="Q1", planned_investment="250000",
                     on=D(2026, 3, 31), stage="packaged")
    q2 = S.create_project(u, task_force=tf2, name="Q2", planned_investment="1500",
                          on=D(2025, 12, 31), stage="signed", contract_value="1000")
    S.add_capital_increase(u, q2, on=D(2026, 2, 2), amount="100")
    return {"user": u, "tf1": tf1, "tf2": tf2, "c1": c1, "c2": c2}
