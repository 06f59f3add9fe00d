"""SQL statements per page: the count of one page must not grow with the rows it shows.

Each page is requested on a small ledger (5 projects) and again after the ledger has grown
(50 projects, with their receipts, increases, stale flags and a long project history); the
number of statements must be the same. peewee logs every statement it runs on the "peewee"
logger at DEBUG: a handler attached for the one request counts them.
"""
import contextlib
import datetime
import logging

import pytest

from tests.factories import make_county, make_task_force, make_user
from tracker import clock
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.staleness import flags as stale_service
from tracker.services.targets import annual as target_service

ledger = backfill_ledger(ledger_projects)

SMALL, LARGE = 5, 50


class Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        if record.name == "peewee":  # statements; not "peewee.pool" (check-out/check-in)
            self.statements.append(record.getMessage())


@contextlib.contextmanager
def counting():
    """Every SQL statement peewee runs inside the block."""
    log = logging.getLogger("peewee")
    counter, level = Counter(), log.level
    log.addHandler(counter)
    log.setLevel(logging.DEBUG)
    try:
        yield counter.statements
    finally:
        log.removeHandler(counter)
        log.setLevel(level)


def _day(n):
    return clock.today() - datetime.timedelta(days=n)


def _add_projects(boss, team, county, start, stop):
    """Projects at every kind of progress: signed with a receipt and an increase,
    negotiating, and reserve ones left without progress (stale)."""
    for n in range(start, stop):
        name = f"项目{n:03d}"
        if n % 3 == 0:
            row = ledger.create_project(boss, task_force=team, name=name, county=county,
                                        planned_investment="2000", on=_day(120),
                                        stage="packaged")
            ledger.change_stage(boss, row, "signed", on=_day(100), contract_value="800",
                                signing_grade="contract")
            ledger.record_funds(boss, row, received_on=_day(90), amount="100")
            ledger.add_capital_increase(boss, row, on=_day(80), amount="50")
        elif n % 3 == 1:
            ledger.create_project(boss, task_force=team, name=name, county=county,
                                  planned_investment="1000", on=_day(30), stage="negotiating",
                                  contract_value="500", expected_sign_date=_day(-20))
        else:
            ledger.create_project(boss, task_force=team, name=name, planned_investment="10",
                                  county=county, on=_day(200), stage="reserve")


def _lengthen_history(boss, project, start, stop):
    """Receipts and edits: the project's history grows by two rows each."""
    for n in range(start, stop):
        ledger.record_funds(boss, project, received_on=_day(60 - n), amount=str(10 + n))
        ledger.update_project(boss, project, problems=f"第{n}次更新")


@pytest.fixture
def site(app):
    with app.app_context():
        boss = make_user("boss", role="bureau")
        members = [make_user(f"m{n}", role="member") for n in range(2)]
        county = make_county("E1", name="东区")
        team = make_task_force("CHEM", name="精细化工专班")
        other = make_task_force("EQUIP", name="装备制造专班", industry="装备制造")
        target_service.apply_defaults(clock.today().year, boss)
        _add_projects(boss, team, county, 0, SMALL)
        project = ledger.create_project(boss, task_force=team, name="历史项目",
                                        planned_investment="3000", county=county,
                                        on=_day(150), stage="packaged")
        _lengthen_history(boss, project, 0, 2)
        stale_service.scan(clock.today())
    state = dict(boss=boss, team=team, other=other, county=county, project=project,
                 members=members)
    return app, state


def _grow(app, state):
    with app.app_context():
        boss = state["boss"]
        _add_projects(boss, state["team"], state["county"], SMALL, LARGE)
        _add_projects(boss, state["other"], state["county"], LARGE, LARGE + 10)
        _lengthen_history(boss, state["project"], 2, 32)
        extra = [make_user(f"x{n}", role="member", task_forces=[state["team"]])
                 for n in range(5)]
        assert extra
        stale_service.scan(clock.today())


def _pages(state):
    return {
        "dashboard": "/dashboard/",
        "dashboard detail": "/dashboard/teams/CHEM",
        "ledger": "/projects/",
        "task force": "/taskforces/CHEM",
        "county": "/counties/E1",
        "counties": "/counties/",
        "project": f"/projects/{state['project'].id}",
    }


def _counts(client, pages):
    counts = {}
    for name, url in pages.items():
        client.get(url)  # warm up: first-request work (settings, caches) is not per page
        with counting() as statements:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = [s[:160] for s in statements]
    return counts


def test_statements_per_page_do_not_grow_with_rows(site, auth, client):
    app, state = site
    auth.login("boss")
    pages = _pages(state)
    small = _counts(client, pages)
    _grow(app, state)
    large = _counts(client, pages)
    grew = {name: (len(small[name]), len(large[name])) for name in pages
            if len(large[name]) > len(small[name])}
    assert not grew, f"statements per page, {SMALL} vs {LARGE} projects: {grew}\n" + \
        "\n".join(f"--- {name}\n" + "\n".join(large[name]) for name in grew)


def test_the_counter_sees_statements(site, auth, client):
    auth.login("boss")
    with counting() as statements:
        client.get("/projects/")
    assert statements and all("SELECT" in s or "select" in s.lower() for s in statements[:1])
