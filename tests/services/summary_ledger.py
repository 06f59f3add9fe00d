"""A small ledger around ISO week 2026-W26 (Mon 22 June .. Sun 28 June 2026).

TF1 精细化工专班 (amounts 万元):
  A packaged 03-01 (planned 60000) -> negotiating 04-01 -> signed 06-24 (30000)  [week]
    funds 06-25 1000                                                                [week]
  B created negotiating 06-23 (planned 10000)                                       [week: new]
  C created signed 02-01 (planned 8000, contract 5000) -> started 06-26             [week]
    funds 05-01 2000
  D reserve 01-10 (planned 1000) -> 退库 06-27 "投资方撤回"                          [week]
  E packaged 01-05 (planned 3000), owner lead1, silent since -> stale (red) on 06-28
  G reserve 06-21 (planned 500)                                       [previous week]
  F negotiating 06-21 (planned 900) -> signed 06-29 (700)              [next week]
TF2 装备制造专班:
  H created packaged 06-22 (planned 250000)                                         [week]

TF1 year to 28 June: packaged 60000+10000+8000+3000+900 = 81900 (8.19亿); negotiations 4
(A, B, C, F); signed 30000+5000 = 35000 (3.50亿, 17.50% of 20亿; F's 06-29 not yet);
funds 3000 (0.30亿).
Recipients: boss (bureau) city; lead1 TF1; mem1 TF1+TF2; lead2 TF2; quit (opted out)
and noemail (no address) get nothing.
"""
import datetime
import functools

from werkzeug.security import generate_password_hash

from tests.factories import DEFAULT_PASSWORD, make_task_force
from tracker.models import Membership, User
from tests.backfill import ledger as backfill
from tracker.services.ledger import projects

from tracker.services.staleness import flags
from tracker.services.targets import annual

S = backfill(projects)

D = datetime.date
WEEK = "2026-W26"
SUNDAY = D(2026, 6, 28)


@functools.lru_cache(maxsize=1)
def _password_hash():
    return generate_password_hash(DEFAULT_PASSWORD)


def make_user(username, role="member", task_forces=(), **kw):
    """Like tests.factories.make_user (same password) but hashes it only once."""
    kw.setdefault("display_name", username)
    kw.setdefault("email", f"{username}@example.test")
    user = User.create(username=username, role=role, password_hash=_password_hash(), **kw)
    for team in task_forces:
        Membership.create(user=user, task_force=team)
    return user


def build():
    tf1 = make_task_force("TF1", "精细化工专班")
    tf2 = make_task_force("TF2", "装备制造专班")
    boss = make_user("boss", role="bureau", display_name="商务局王处")
    lead1 = make_user("lead1", role="lead", task_forces=[tf1], display_name="李组长")
    mem1 = make_user("mem1", role="member", task_forces=[tf1, tf2])
    lead2 = make_user("lead2", role="lead", task_forces=[tf2])
    quit_ = make_user("quit", role="member", task_forces=[tf1], wants_summary=False)
    noemail = make_user("noemail", role="member", task_forces=[tf1], email="")
    annual.apply_defaults(2026, boss)

    a = S.create_project(boss, task_force=tf1, name="A 新材料", planned_investment="60000",
                         on=D(2026, 3, 1), stage="packaged")
    S.change_stage(boss, a, "negotiating", on=D(2026, 4, 1))
    S.change_stage(boss, a, "signed", on=D(2026, 6, 24), contract_value="30000")
    S.record_funds(boss, a, received_on=D(2026, 6, 25), amount="1000")
    S.create_project(boss, task_force=tf1, name="B 电子化学品", planned_investment="10000",
                     on=D(2026, 6, 23), stage="negotiating")
    c = S.create_project(boss, task_force=tf1, name="C 催化剂", planned_investment="8000",
                         on=D(2026, 2, 1), stage="signed", contract_value="5000")
    S.change_stage(boss, c, "started", on=D(2026, 6, 26))
    S.record_funds(boss, c, received_on=D(2026, 5, 1), amount="2000")
    d = S.create_project(boss, task_force=tf1, name="D 涂料", planned_investment="1000",
                         on=D(2026, 1, 10))
    S.change_stage(boss, d, "dropped", on=D(2026, 6, 27), reason="投资方撤回")
    S.create_project(boss, task_force=tf1, name="E 沉寂项目", planned_investment="3000",
                     on=D(2026, 1, 5), stage="packaged", owner=lead1)
    S.create_project(boss, task_force=tf1, name="G 上周项目", planned_investment="500",
                     on=D(2026, 6, 21))
    f = S.create_project(boss, task_force=tf1, name="F 下周签约", planned_investment="900",
                         on=D(2026, 6, 21), stage="negotiating")
    S.change_stage(boss, f, "signed", on=D(2026, 6, 29), contract_value="700")
    S.create_project(boss, task_force=tf2, name="H 塔机", planned_investment="250000",
                     on=D(2026, 6, 22), stage="packaged")
    flags.scan(SUNDAY)
    return dict(tf1=tf1, tf2=tf2, boss=boss, lead1=lead1, mem1=mem1, lead2=lead2,
                quit=quit_, noemail=noemail)
