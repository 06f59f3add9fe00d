"""Two people pressing the same button at the same moment, through HTTP, under a real
multi-worker server (gunicorn -w 2 -k sync), on SQLite, PostgreSQL and MariaDB: each logs
in with their own cookie jar, a barrier releases both POSTs together, then the rows are
counted (docs/design.md, The write path).

Each POST is written to its connection but for its last byte before the barrier
(tests.live_server.HeldRequest): both workers are then inside the view, waiting for the
form, and the two service calls start within a millisecond or so. Sent whole after the
barrier instead, most rounds ran one after the other and proved nothing.
"""
import datetime
import re

import pytest

from tests.conftest import clean_tables, make_app
from tests.factories import make_project, make_task_force, make_user
from tests.live_server import Client, LiveServer, hidden_value, race_held
from tracker import clock
from tracker.domain import pipeline
from tracker.models import AuditLog, Project, StageEvent

ROUNDS = 5
STAGE_CHANGED = "该项目的阶段刚被他人改为"
NOT_SAVED = "本次未保存"
STALE_VERSION = "此项目已被他人修改，请刷新后重试"


class Site:
    def __init__(self, app, server, team_id, clients):
        self.app, self.server, self.team_id, self.clients = app, server, team_id, clients

    def project(self, name, **kw):
        with self.app.app_context():
            return make_project(self.team_id, name, on=_day(10), **kw).id

    def context(self):
        return self.app.app_context()

    def explain(self, responses):
        """What to print when an assertion about the responses fails."""
        lines = [f"{r.status} {r.location or ''} …{_flashes(r.body)}" for r in responses]
        return "\n".join(lines) + "\n--- gunicorn stderr ---\n" + self.server.stderr_tail(3000)


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    work = tmp_path_factory.mktemp("http_races")
    app = make_app(database_url, work / "instance")
    server = LiveServer(database_url, work, workers=2)
    try:
        with app.app_context():
            team = make_task_force("TF1")
            for name in ("alice", "bob"):
                make_user(name, "member", task_forces=[team])
            team_id = team.id
        server.start()
        clients = [Client(server.url), Client(server.url)]
        clients[0].login("alice")
        clients[1].login("bob")
        yield Site(app, server, team_id, clients)
    finally:
        server.stop()
        with app.app_context():
            clean_tables()


def _day(n=0):
    return clock.today() - datetime.timedelta(days=n)


def _flashes(body):
    """The flash and field-error texts of a page (short enough for a failure message)."""
    return " | ".join(re.findall(r'class="(?:flash [^"]*|error)"[^>]*>([^<]*)<', body))


def _stage_rows(project_id):
    events = list(StageEvent.select().where(StageEvent.project == project_id)
                  .order_by(StageEvent.id))
    audits = AuditLog.select().where((AuditLog.entity == "project")
                                     & (AuditLog.entity_id == project_id)
                                     & (AuditLog.action == "stage")).count()
    return events, audits


def _winner_and_loser(site, responses, project_id):
    """Exactly one 302 to the project's page and one 200 page; returns their indexes."""
    statuses = sorted(r.status for r in responses)
    assert statuses == [200, 302], site.explain(responses)
    winner = next(i for i, r in enumerate(responses) if r.status == 302)
    assert responses[winner].location_path == f"/projects/{project_id}", \
        site.explain(responses)
    return winner, 1 - winner


def _stage_form(prefix, expected, **fields):
    data = {f"{prefix}-expected_stage": expected, f"{prefix}-on": _day(1).isoformat()}
    data.update({f"{prefix}-{k}": v for k, v in fields.items()})
    return data


def test_two_identical_advances_make_one_event(site):
    for n in range(ROUNDS):
        pid = site.project(f"同时推进{n}")
        form = _stage_form("stage", pipeline.RESERVE, stage=pipeline.PACKAGED,
                           contract_value="", signing_grade="", note="")
        responses = race_held([c.prepare_post(f"/projects/{pid}/stage", form)
                               for c in site.clients])
        _, loser = _winner_and_loser(site, responses, pid)
        body = responses[loser].body
        assert f"{STAGE_CHANGED}「策划包装」" in body and NOT_SAVED in body, \
            site.explain(responses)
        with site.context():
            events, audits = _stage_rows(pid)
            assert [e.stage for e in events] == [pipeline.RESERVE, pipeline.PACKAGED]
            assert audits == 1
            row = Project.get_by_id(pid)
            assert row.stage == pipeline.PACKAGED and row.version == 2


def test_drop_racing_advance_one_wins_and_history_stays_a_chain(site):
    for n in range(ROUNDS):
        pid = site.project(f"退库与推进{n}", stage=pipeline.SIGNED, contract_value="5000")
        drop = _stage_form("drop", pipeline.SIGNED, reason="投资方撤资")
        advance = _stage_form("stage", pipeline.SIGNED, stage=pipeline.STARTED,
                              contract_value="", signing_grade="", note="")
        dropper, advancer = site.clients if n % 2 == 0 else site.clients[::-1]
        responses = race_held([dropper.prepare_post(f"/projects/{pid}/drop", drop),
                               advancer.prepare_post(f"/projects/{pid}/stage", advance)])
        winner, loser = _winner_and_loser(site, responses, pid)
        assert STAGE_CHANGED in responses[loser].body, site.explain(responses)
        won_stage = pipeline.DROPPED if winner == 0 else pipeline.STARTED
        with site.context():
            events, audits = _stage_rows(pid)
            assert [e.stage for e in events] == [pipeline.SIGNED, won_stage]
            for before, after in zip(events, events[1:]):
                assert after.from_stage == before.stage
            assert audits == 1
            assert Project.get_by_id(pid).stage == won_stage


def _edit_form(site, pid, name, version, problems):
    return {"version": version, "name": name, "task_force": str(site.team_id), "county": "",
            "investor": "", "investor_region": "", "capital_type": "domestic",
            "industry": "精细化工", "planned_investment": "1000", "contract_value": "",
            "signing_grade": "", "expected_sign_date": "", "owner": "", "contact": "",
            "next_step": "", "problems": problems}


def test_two_edits_with_one_version_save_one(site):
    texts = ("用地指标待落实", "环评手续办理中")
    for n in range(ROUNDS):
        name = f"同时编辑{n}"
        pid = site.project(name)
        shown = [hidden_value(c.get(f"/projects/{pid}/edit").body, "version")
                 for c in site.clients]
        assert shown[0] == shown[1] and shown[0], shown
        responses = race_held([
            c.prepare_post(f"/projects/{pid}/edit", _edit_form(site, pid, name, shown[0], text))
            for c, text in zip(site.clients, texts)])
        winner, loser = _winner_and_loser(site, responses, pid)
        with site.context():
            row = Project.get_by_id(pid)
            assert row.problems == texts[winner]
            assert row.version == int(shown[0]) + 1
            updates = AuditLog.select().where((AuditLog.entity == "project")
                                              & (AuditLog.entity_id == pid)
                                              & (AuditLog.action == "update")).count()
            assert updates == 1
        # The refused edit must tell the person why (the page is the form again).
        if STALE_VERSION not in responses[loser].body:
            pytest.fail(f"the refused edit (200) does not show 「{STALE_VERSION}」:\n"
                        + site.explain(responses), pytrace=False)
