"""Who may use which URL: one row per (endpoint, method) of ``app.url_map``.

EXPECTED gives, for every role of ROLES, the outcome class of a request:

- "ok"         2xx, or a 3xx that is not to the login page
- "login"      a redirect to /login (401 for /api/ URLs)
- "forbidden"  403
- "any"        depends on the input (none needed so far)

A rule of app.url_map (static aside) without a row fails the test, and so does a row
without a rule: a new route cannot be added without deciding who may use it.

Roles, in a small world of two task forces TFA and TFB with a project each (requests about
one project or import batch use TFA's):

- member_own    member of TFA
- member_other  member of TFB
- lead          lead of TFB (a lead role does not reach another team's projects)
- bureau, admin
- deactivated   a bureau user of TFA, logged in, then deactivated by an admin; every request
                carries the cookies of that old session

GETs use real ids; POSTs send harmless or invalid forms (CSRF is off in the test app), so an
allowed POST answers 200 with a form error or a 302, and nothing important changes.
"""
import datetime
import io

import pytest
from flask import current_app

from tracker.db import database
from tracker.domain import pipeline
from tracker.domain.weeks import week_of
from tracker.models import (
    Activity, ApiToken, CorrectionRequest, ExportJob, GroupRobot, ImportBatch, ImportJob, Membership, OutboxMessage,
    Project, RobotMessage,
    SupervisionItem,
    TaskForce, TaskForceCounty, User,
)
from tracker.services.accounts import users as accounts
from tracker.services.progress import snapshots
from tracker.services.mail import summaries, unsubscribe
from tracker.services.targets import annual
from tracker.services.imports import template as import_template
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker import settings as web_settings

from ..factories import DEFAULT_PASSWORD, make_county, make_task_force, make_user

P = backfill_ledger(ledger_projects)

ROLES = ("anonymous", "member_own", "member_other", "lead", "bureau", "admin", "deactivated")
UNKNOWN_ID = 987654


def _row(anonymous="login", member_own="ok", member_other="ok", lead="ok", bureau="ok",
         admin="ok", deactivated="login"):
    return dict(anonymous=anonymous, member_own=member_own, member_other=member_other,
                lead=lead, bureau=bureau, admin=admin, deactivated=deactivated)


PUBLIC = _row(anonymous="ok", deactivated="ok")
LOGGED_IN = _row()
OWN_TEAM = _row(member_other="forbidden", lead="forbidden")        # TFA's project or batch
BUREAU = _row(member_own="forbidden", member_other="forbidden", lead="forbidden")
SIGN_OUT = _row(member_own="login", member_other="login", lead="login", bureau="login",
                admin="login")
ROBOT_TEAM = _row(member_own="forbidden", member_other="forbidden")    # TFB's robot: its lead
ADMIN = _row(member_own="forbidden", member_other="forbidden", lead="forbidden",
             bureau="forbidden")

EXPECTED = {
    ("index", "GET"): LOGGED_IN,
    ("health.healthz", "GET"): PUBLIC,
    ("colours_css", "GET"): PUBLIC,
    # login pages: reachable by everyone (a logged-in user is sent on to the home page)
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    # logging out answers everyone with the login page: a logged-in user's session ends (the
    # test logs in again), an anonymous one is sent to log in
    ("auth.logout", "POST"): SIGN_OUT,
    ("auth.my_sessions", "GET"): LOGGED_IN,
    ("auth.end_session", "POST"): LOGGED_IN,
    ("auth.end_all_sessions", "POST"): SIGN_OUT,
    # my account
    ("accounts.me", "GET"): LOGGED_IN,
    ("accounts.password", "GET"): LOGGED_IN,
    ("accounts.password", "POST"): LOGGED_IN,
    ("accounts.tokens_page", "GET"): LOGGED_IN,
    ("accounts.tokens_page", "POST"): LOGGED_IN,
    ("accounts.revoke_token", "POST"): LOGGED_IN,
    # user administration: admin; bureau reads the list
    ("accounts.index", "GET"): BUREAU,
    ("accounts.create", "GET"): ADMIN,
    ("accounts.create", "POST"): ADMIN,
    ("accounts.edit", "GET"): ADMIN,
    ("accounts.edit", "POST"): ADMIN,
    ("accounts.deactivate", "POST"): ADMIN,
    ("accounts.reactivate", "POST"): ADMIN,
    ("accounts.reset_password", "POST"): ADMIN,
    ("accounts.unlock", "POST"): ADMIN,
    ("accounts.end_sessions", "POST"): ADMIN,
    # JSON API: a session or a bearer token; 401 otherwise
    ("api.progress", "GET"): LOGGED_IN,
    ("api.snapshots", "GET"): LOGGED_IN,
    ("api.awards", "GET"): LOGGED_IN,
    ("api.activities", "GET"): LOGGED_IN,
    ("api.supervision", "GET"): LOGGED_IN,
    ("api.supervision_item", "GET"): OWN_TEAM,      # its team's and the bureau's (403 JSON else)
    # read by everyone logged in
    ("dashboard.index", "GET"): LOGGED_IN,
    ("dashboard.export", "GET"): LOGGED_IN,
    ("dashboard.stale", "GET"): LOGGED_IN,
    ("dashboard.team", "GET"): LOGGED_IN,
    ("counties.index", "GET"): LOGGED_IN,
    ("counties.detail", "GET"): LOGGED_IN,
    ("taskforces.index", "GET"): LOGGED_IN,
    ("taskforces.detail", "GET"): LOGGED_IN,
    ("taskforces.create", "GET"): BUREAU,
    ("taskforces.create", "POST"): BUREAU,
    ("taskforces.edit", "GET"): BUREAU,
    ("taskforces.edit", "POST"): BUREAU,
    # projects: everyone reads; members/leads edit their own task forces' projects
    ("projects.ledger", "GET"): LOGGED_IN,
    ("projects.export", "GET"): LOGGED_IN,
    ("projects.export", "POST"): LOGGED_IN,   # queues an export job when large (issue 18)
    ("projects.detail", "GET"): LOGGED_IN,
    ("projects.create", "GET"): LOGGED_IN,    # every role here has a task force to create in
    ("projects.create", "POST"): LOGGED_IN,
    ("projects.edit", "GET"): OWN_TEAM,
    ("projects.edit", "POST"): OWN_TEAM,
    ("projects.change_stage", "POST"): OWN_TEAM,
    ("projects.record_funds", "POST"): OWN_TEAM,
    ("projects.capital_increase", "POST"): OWN_TEAM,
    ("projects.drop", "POST"): OWN_TEAM,
    ("projects.void", "POST"): OWN_TEAM,
    # Excel import: anyone who edits a task force; a batch is seen by its owner and bureau/admin
    ("imports.index", "GET"): LOGGED_IN,
    ("imports.template", "GET"): LOGGED_IN,
    ("imports.upload", "POST"): LOGGED_IN,
    ("imports.preview", "GET"): LOGGED_IN,
    ("imports.mapping", "GET"): LOGGED_IN,    # 列的对应 of the session's upload
    ("imports.mapping", "POST"): LOGGED_IN,
    ("imports.commit", "POST"): LOGGED_IN,
    ("imports.cancel", "POST"): LOGGED_IN,
    ("imports.batch", "GET"): OWN_TEAM,       # the batch of member_own
    ("imports.undo", "GET"): OWN_TEAM,        # its 撤销 confirmation page
    ("imports.undo", "POST"): OWN_TEAM,       # (the batch has no new project: nothing undone)
    ("imports.job", "GET"): OWN_TEAM,         # an import job of member_own (issue 18)
    ("imports.job_status", "GET"): OWN_TEAM,  # its progress (JSON)
    # export jobs (issue 18): seen and downloaded by the person who asked and bureau/admin
    ("exports.job", "GET"): OWN_TEAM,         # an export job of member_own
    ("exports.job_status", "GET"): OWN_TEAM,  # its progress (JSON)
    ("exports.download", "GET"): OWN_TEAM,    # its file (failed: back to its page)
    # awards: everyone sees their rows; export, print and freeze are the bureau's
    ("awards.index", "GET"): LOGGED_IN,
    ("awards.export", "GET"): BUREAU,
    ("awards.print_view", "GET"): BUREAU,
    ("awards.freeze", "GET"): BUREAU,         # its confirmation page
    ("awards.freeze", "POST"): BUREAU,
    ("awards.unfreeze", "GET"): ADMIN,
    ("awards.unfreeze", "POST"): ADMIN,
    # bureau pages
    # 通报 (issue 20): every role reads it (page, print, .docx); the bureau writes its 下步要求
    ("bulletin.index", "GET"): LOGGED_IN,
    ("bulletin.download", "GET"): LOGGED_IN,
    ("bulletin.save_note", "POST"): BUREAU,
    ("audit.index", "GET"): BUREAU,
    ("audit.logins", "GET"): BUREAU,
    ("outbox.index", "GET"): BUREAU,
    ("outbox.show", "GET"): BUREAU,
    ("outbox.resend", "POST"): BUREAU,
    ("outbox.confirm", "POST"): BUREAU,
    ("outbox.retry_now", "POST"): BUREAU,
    ("outbox.send_test", "POST"): BUREAU,
    ("outbox.preview", "GET"): BUREAU,
    ("targets.index", "GET"): BUREAU,
    ("targets.edit_team", "GET"): BUREAU,
    ("targets.edit_team", "POST"): BUREAU,
    ("targets.edit_county", "GET"): BUREAU,
    ("targets.edit_county", "POST"): BUREAU,
    ("targets.apply_defaults", "POST"): BUREAU,
    ("targets.shares", "GET"): BUREAU,
    ("targets.shares", "POST"): BUREAU,
    # weekly summary preferences; the signed unsubscribe link needs no login
    ("prefs.summary", "GET"): LOGGED_IN,
    ("prefs.summary", "POST"): LOGGED_IN,
    ("prefs.unsubscribe", "GET"): PUBLIC,
    ("prefs.unsubscribe_post", "POST"): PUBLIC,
    # 更正申请 (issue 19): everyone lists what they may read; one request is its task force's
    # and the bureau's; only the bureau decides; a reader may try to withdraw (the service
    # says only the requester may)
    ("corrections.index", "GET"): LOGGED_IN,
    ("corrections.show", "GET"): OWN_TEAM,
    ("corrections.approve", "POST"): BUREAU,
    ("corrections.reject", "POST"): BUREAU,
    ("corrections.withdraw", "POST"): OWN_TEAM,
    # 跟进记录 (issue 21): everyone lists and logs for their own task forces; one activity is
    # its task force's (and the bureau's) to edit or void
    ("activities.index", "GET"): LOGGED_IN,
    ("activities.create", "GET"): LOGGED_IN,
    ("activities.create", "POST"): LOGGED_IN,
    ("activities.edit", "GET"): OWN_TEAM,
    ("activities.edit", "POST"): OWN_TEAM,
    ("activities.void", "POST"): OWN_TEAM,
    ("activities.export", "GET"): LOGGED_IN,
    ("activities.outreach", "GET"): LOGGED_IN,
    # 督办 (issue 22): everyone lists their teams' items; one item is its team's and the
    # bureau's; the bureau 交办, 办结, 退回; a reader may try to reply (the service says who may)
    ("supervision.index", "GET"): LOGGED_IN,
    ("supervision.export", "GET"): LOGGED_IN,       # the list as .xlsx: whoever reads the list
    ("supervision.create", "GET"): BUREAU,
    ("supervision.create", "POST"): BUREAU,
    ("supervision.show", "GET"): OWN_TEAM,
    ("supervision.reply", "POST"): OWN_TEAM,
    ("supervision.close", "POST"): BUREAU,
    ("supervision.reopen", "POST"): BUREAU,
    # 群机器人 (issue 22): everyone lists their teams' robots; the bureau and admins manage all,
    # a lead their team's (the world's robot is TFB's, whose lead is "lead"); the robot
    # messages and the decisions on them are the bureau's, as the mail outbox is
    ("robots.index", "GET"): LOGGED_IN,
    ("robots.create", "GET"): ROBOT_TEAM,
    ("robots.create", "POST"): ROBOT_TEAM,
    ("robots.edit", "GET"): ROBOT_TEAM,
    ("robots.edit", "POST"): ROBOT_TEAM,
    ("robots.send_test", "POST"): ROBOT_TEAM,
    ("robots.set_state", "POST"): ROBOT_TEAM,
    ("robots.delete", "GET"): ROBOT_TEAM,
    ("robots.delete", "POST"): ROBOT_TEAM,        # unconfirmed: the confirmation page
    ("robots.messages", "GET"): BUREAU,
    ("robots.resend", "POST"): BUREAU,
    ("robots.confirm", "POST"): BUREAU,
}

# Endpoints whose <code> is a county's (else a task force's).
COUNTY_CODE = {"counties.detail", "targets.edit_county"}


# --- the world ---------------------------------------------------------------------------

def _build_world():
    year = datetime.date.today().year
    county_a, county_b = make_county("C1", kind="county"), make_county("Z1", kind="zone")
    team_a, team_b = make_task_force("TFA"), make_task_force("TFB", kind="N")
    TaskForceCounty.create(task_force=team_a, county=county_a)
    TaskForceCounty.create(task_force=team_b, county=county_b)
    users = {
        "admin": make_user("admin", role="admin"),
        "bureau": make_user("bureau", role="bureau"),
        "lead": make_user("lead", role="lead", task_forces=[team_b]),
        "member_own": make_user("member_own", role="member", task_forces=[team_a]),
        "member_other": make_user("member_other", role="member", task_forces=[team_b]),
        "deactivated": make_user("deactivated", role="bureau", task_forces=[team_a]),
    }
    admin = users["admin"]
    on = datetime.date(year, 1, 10)
    project = P.create_project(admin, task_force=team_a, name="项目甲", investor="某公司",
                               planned_investment="20000", on=on, stage=pipeline.SIGNED,
                               county=county_a.id, contract_value="5000",
                               signing_grade="contract")
    P.record_funds(admin, project, received_on=datetime.date(year, 1, 20), amount="300")
    P.create_project(admin, task_force=team_b, name="项目乙", planned_investment="100", on=on,
                     county=county_b.id)
    annual.apply_defaults(year, admin)
    _, api_token = ApiToken.issue(users["bureau"], "matrix")
    _, dead_token = ApiToken.issue(users["deactivated"], "old")
    # a token of each user for that user's revoke request
    own_tokens = {role: ApiToken.issue(user, "to revoke")[0].id for role, user in users.items()}
    snapshots.freeze_quarter(year - 1, 4)
    summaries.build_week(week_of(datetime.date(year, 3, 4)), web_settings.mail(current_app))
    message = OutboxMessage.select().first()
    assert message is not None, "the outbox build made no message"
    batch = ImportBatch.create(user=users["member_own"], file_name="a.xlsx")
    job = ImportJob.create(user=users["member_own"], token="t" * 43, file_name="big.xlsx",
                           state="failed", error="导入中断", rows_total=3000)
    item = SupervisionItem.create(title="用地协调", problem="指标未落实", task_force=team_a,
                                  deadline=datetime.date(year, 12, 31), opened_by=users["bureau"])
    activity = Activity.create(task_force=team_a, kind="visit", occurred_on=datetime.date(year, 1, 12),
                               summary="拜访投资方", user=users["member_own"])
    correction = CorrectionRequest.create(
        project=project.id, task_force=team_a, action="funds", summary="登记到位资金", reason="漏登",
        payload='{"received_on": "%d-01-21", "amount": "10", "source_layer": "省外"}' % year,
        closed_on=datetime.date(year, 1, 21), requested_by=users["member_own"])
    robot = GroupRobot.create(task_force=team_b, kind="wecom", name="TFB群",   # refused port: no post leaves
                              webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send?key=matrix")
    robot_message = RobotMessage.create(robot=robot, key="weekly:matrix", title="周报", content="内容")
    export_job = ExportJob.create(user=users["member_own"], token="e" * 32, state="failed",
                                  error="导出中断", rows_total=6000)
    return dict(robot=robot.id, robot_message=robot_message.id,
                job=job.id, export=export_job.id, request=correction.id, activity=activity.id, item=item.id, year=year,
                county=county_a.code,
                team=team_a.code, project=project.id,
                message=message.id, batch=batch.id, api_token=api_token, dead_token=dead_token,
                own_tokens=own_tokens,
                users={k: u.id for k, u in users.items()},
                unsub=unsubscribe.make_token(users["member_own"],
                                             web_settings.unsubscribe_signer()),
                xlsx=import_template.template_xlsx())


def _url_args(world, rule):
    values = {"project_id": world["project"], "message_id": world["message"],
              "batch_id": world["batch"], "job_id": world["job"], "export_id": world["export"],
              "robot_id": world["robot"], "robot_message_id": world["robot_message"],
              "request_id": world["request"], "activity_id": world["activity"], "item_id": world["item"],
              "year": world["year"], "token": world["unsub"],
              "code": world["county"] if rule.endpoint in COUNTY_CODE else world["team"]}
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"{rule.rule}: no test value for {missing}; add one to _url_args"
    return {a: values[a] for a in rule.arguments}


def _query(world, endpoint):
    return {"accounts.edit": {"user": world["users"]["member_other"]},
            "imports.batch": {"id": world["batch"]},
            "api.snapshots": {"year": world["year"] - 1, "quarter": 4}}.get(endpoint, {})


def _form(world, endpoint, role):
    """A harmless POST body: invalid, pointing at nothing, or changing nothing that matters.
    (An empty form is invalid for most views; the edit forms of users and task forces would
    take it, so they get a bad choice.)"""
    dead = world["users"]["deactivated"]
    return {
        "auth.login": {"username": "nobody", "password": "wrong-password"},
        "auth.end_session": {"session_id": UNKNOWN_ID},
        "accounts.revoke_token": {"token_id": world["own_tokens"].get(role, UNKNOWN_ID)},
        "accounts.create": {"role": "nope"},
        "accounts.edit": {"role": "nope"},
        "accounts.deactivate": {"user_id": dead},                    # already deactivated
        "accounts.reactivate": {"user_id": world["users"]["member_other"]},  # already active
        "accounts.reset_password": {"user_id": dead},
        "accounts.unlock": {"user_id": dead},          # unconfirmed: the confirmation page
        "accounts.end_sessions": {"user_id": dead},    # unconfirmed: the confirmation page
        "taskforces.create": {"kind": "nope"},
        "taskforces.edit": {"kind": "nope"},
        # an empty template: a preview with no row (the stored file waits for a commit)
        "imports.upload": {"file": (io.BytesIO(world["xlsx"]), "empty.xlsx")},
    }.get(endpoint, {})


# --- requests ------------------------------------------------------------------------------

class Visitor:
    """A test client per role, logged in (or not, or with a dead session's cookies)."""

    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.clients = {}
        self.dead_cookies = None
        for role in ROLES:
            if role not in ("anonymous", "deactivated"):
                self.clients[role] = self._login(role)
        client = self._login("deactivated")
        self.dead_cookies = [(c.key, c.value, c.domain, c.path)
                             for c in client._cookies.values()]
        assert self.client("deactivated").get("/account/").status_code == 200, \
            "the copied cookies do not carry the session"
        with app.app_context():
            accounts.set_active(None, world["users"]["deactivated"], False)
        database.close()

    def _login(self, username):
        client = self.app.test_client()
        response = client.post("/login", data={"username": username,
                                               "password": DEFAULT_PASSWORD})
        assert response.status_code == 302 and "/login" not in response.location, \
            f"login as {username} failed"
        return client

    def client(self, role):
        if role == "anonymous":
            return self.app.test_client()
        if role == "deactivated":
            client = self.app.test_client()
            for key, value, domain, path in self.dead_cookies:
                client.set_cookie(key, value, domain=domain, path=path)
            return client
        return self.clients[role]

    def after(self, role, client):
        """Log in again when the request ended the session (logout, end-all)."""
        if role in ("anonymous", "deactivated"):
            return
        with client.session_transaction() as session:
            session.pop("_flashes", None)
            alive = "_user_id" in session
        if not alive:
            self.clients[role] = self._login(role)


def outcome(url, response):
    status = response.status_code
    if url.startswith("/api/"):
        if status == 401:
            return "login"
    elif 300 <= status < 400 and response.location.split("?")[0].endswith("/login"):
        return "login"
    if status == 403:
        return "forbidden"
    if 200 <= status < 400:
        return "ok"
    return f"HTTP {status}"


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


# --- tests -----------------------------------------------------------------------------------

@pytest.fixture
def visitor(sqlite_app):
    with sqlite_app.app_context():
        world = _build_world()
    database.close()
    return Visitor(sqlite_app, world)


def test_every_route_has_a_rule(sqlite_app):
    routes = {(rule.endpoint, method) for rule, method in _rules(sqlite_app)}
    missing = sorted(routes - set(EXPECTED))
    stale = sorted(set(EXPECTED) - routes)
    assert not missing, ("routes without an entry in EXPECTED (decide who may use them): "
                         f"{missing}")
    assert not stale, f"EXPECTED entries for routes that no longer exist: {stale}"
    for key, row in EXPECTED.items():
        assert set(row) == set(ROLES), key
        assert set(row.values()) <= {"ok", "login", "forbidden", "any"}, key


def test_authorization_matrix(visitor):
    app, world = visitor.app, visitor.world
    before = _facts(app)
    failures = []
    for rule, method in _rules(app):
        expected = EXPECTED.get((rule.endpoint, method))
        if expected is None:
            continue  # reported by test_every_route_has_a_rule
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, _url_args(world, rule))
        for role in ROLES:
            client = visitor.client(role)
            kw = {"query_string": _query(world, rule.endpoint)}
            if method == "POST":
                kw["data"] = _form(world, rule.endpoint, role)
            response = client.open(url, method=method, **kw)
            got = outcome(url, response)
            visitor.after(role, client)
            if expected[role] != "any" and got != expected[role]:
                failures.append(f"{method} {url} ({rule.endpoint}) as {role}: "
                                f"expected {expected[role]}, got {got}")
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)
    assert _facts(app) == before, "a request of the matrix changed users or task forces"


def _facts(app):
    """Users, task forces, memberships and projects: the matrix must not change them."""
    with app.app_context():
        facts = (sorted((u.username, u.role, u.active) for u in User.select()),
                 sorted((t.code, t.name, t.active) for t in TaskForce.select()),
                 sorted((m.user_id, m.task_force_id) for m in Membership.select()),
                 sorted((p.id, p.name, p.stage, p.task_force_id) for p in Project.select()))
    database.close()
    return facts


def test_deactivated_users_api_token_is_refused(visitor):
    """The bearer token of a user deactivated after it was issued opens no API URL; a live
    user's token does (the API rows above use the session)."""
    client = visitor.app.test_client()
    for rule, _ in _rules(visitor.app):
        if not rule.rule.startswith("/api/"):
            continue
        with visitor.app.test_request_context():   # a rule with an <id> (one 督办 item) gets a real one
            url = visitor.app.url_map.bind("localhost").build(rule.endpoint, _url_args(visitor.world, rule))
        for token, status in ((visitor.world["dead_token"], 401),
                              (visitor.world["api_token"], 200)):
            response = client.get(url, query_string=_query(visitor.world, rule.endpoint),
                                  headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == status, (rule.rule, token[:4], response.status_code)
