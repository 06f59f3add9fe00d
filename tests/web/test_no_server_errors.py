"""No URL answers with a server error, whatever the input.

Rules are read from ``app.url_map`` at test time, so routes added later are
crawled too; a rule whose arguments this module cannot fill fails the test
(add a value in _arg_values). Every GET rule is requested by every role with
real and unknown ids/codes and with hostile query strings; every POST rule is
sent garbage as a bureau user, and a rejected POST must leave every table as
it was. Failures are collected and reported together, each with its URL.
"""
import datetime
import traceback
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import current_app
from peewee import CharField, fn
from werkzeug.routing import BuildError

from tracker.db import database
from tracker.domain import pipeline
from tracker.domain.weeks import week_of
from tracker.models import (
    Activity, ApiToken, CorrectionRequest, ExportJob, GroupRobot, ImportJob, OutboxMessage, RobotMessage,
    SupervisionItem, TaskForceCounty,
    all_models,
)
from tracker.services.imports import uploads
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.mail import summaries, unsubscribe
from tracker.services.targets import annual
from tracker import settings as web_settings

from ..factories import make_county, make_task_force, make_user

P = backfill_ledger(ledger_projects)

ROLES = ["anonymous", "member", "lead", "bureau", "admin"]
UNKNOWN_ID = 987654
HUGE_ID = 10**23    # beyond any database integer
LONG_Q = ("'\"<>%00" * 80)[:500]
HOSTILE = {
    "year": ["abc", "99999", "-1", "0"],
    "as_of": ["2026-02-30", "x", "9999-12-31", "0001-01-01"],
    "page": ["-1", "abc", "99999999999999999999"],
    "sort": ["nope"], "dir": ["x"], "tf": ["abc", str(UNKNOWN_ID), str(HUGE_ID)], "stage": ["zzz"],
    "county": ["abc", str(HUGE_ID)], "week": ["2026-W99", "x"], "q": [LONG_Q, "a\x00b'\""],
    "owner": [str(HUGE_ID)], "task_force": ["NOPE", str(HUGE_ID)], "level": ["zzz"],
    "status": ["zzz"], "kind": ["zzz"], "metric": ["zzz"], "quarter": ["9"],
}
# All hostile parameters go in a few bundled queries; when a bundle is not answered
# with 200 (an early 400 or redirect could hide how the others are handled) it is
# split in halves and sent again, down to single parameters (for URLs that answer
# 200 without them).
BUNDLED_QUERIES = [{key: options[i] for key, options in HOSTILE.items() if i < len(options)}
                   for i in range(max(len(options) for options in HOSTILE.values()))]
GARBAGE = ["", "x" * 5000, "abc", "2026-02-30", "-1", "NaN", "' OR 1=1 --\x00",
           str(HUGE_ID)]
# Spoilt values for one field of an otherwise valid form, by the kind of input.
FIELD_GARBAGE = {
    "number": ["abc", "-1", "1e400", "NaN", "9" * 5000],
    "text": ["x" * 5000],
    "date": ["2026-02-30", "99999-01-01"],
    "select": ["abc", str(UNKNOWN_ID), str(HUGE_ID)],
    "flag": ["abc"],
}
# Field names tried on every POST besides those found in the forms of the pages.
GENERIC_FIELDS = ["name", "code", "task_force", "county", "planned_investment", "amount",
                  "contract_value", "on", "received_on", "stage", "reason", "note", "year",
                  "currency", "original_amount", "exchange_rate", "username", "password",
                  "value", "email", "acknowledge", "col-A", "unit-A", "col-C", "unit-C"]


# --- ledger ---------------------------------------------------------------------

def _seed():
    year = datetime.date.today().year
    d = lambda m, day=1: datetime.date(year, m, day)  # noqa: E731
    counties = [make_county("C1", kind="county"), make_county("Z1", kind="zone")]
    teams = [make_task_force("TFA"), make_task_force("TFB", kind="N")]
    TaskForceCounty.create(task_force=teams[0], county=counties[0])
    TaskForceCounty.create(task_force=teams[1], county=counties[1])
    users = {
        "admin": make_user("admin", role="admin"),
        "bureau": make_user("bureau", role="bureau"),
        "lead": make_user("lead", role="lead", task_forces=[teams[0]]),
        "member": make_user("member", role="member", task_forces=[teams[0]]),
    }
    admin = users["admin"]
    projects = []
    for i, stage in enumerate(pipeline.ORDER):
        extra = {}
        if pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
            extra = dict(contract_value="5000", signing_grade="contract")
        projects.append(P.create_project(
            admin, task_force=teams[i % 2], name=f"项目{stage}", investor="某公司",
            planned_investment="20000", on=d(1, 10), stage=stage, county=counties[i % 2].id,
            **extra))
    signed = next(p for p in projects if p.stage == pipeline.SIGNED)
    P.record_funds(admin, signed, received_on=d(2, 1), amount="300")
    P.record_funds(admin, signed, received_on=d(2, 2), currency="USD", original_amount="10",
                   exchange_rate="7.1")
    P.add_capital_increase(admin, signed, on=d(2, 3), amount="100")
    dropped = P.create_project(admin, task_force=teams[0], name="退库项目",
                               planned_investment="100", on=d(1, 5))
    P.change_stage(admin, dropped, pipeline.DROPPED, on=d(1, 20), reason="投资方撤回")
    projects.append(dropped)
    annual.apply_defaults(year, admin)
    _, api_token = ApiToken.issue(users["bureau"], "crawl")
    summaries.build_week(week_of(d(3, 4)), web_settings.mail(current_app))
    message_ids = [m.id for m in OutboxMessage.select(OutboxMessage.id).limit(1)]
    assert message_ids, "the outbox build made no message to crawl"
    batch, _preview = uploads.import_file(   # a batch with a new project (its 撤销 page)
        users["member"], "项目名称,计划投资额（万元）\n导入项目,100\n".encode("utf-8-sig"),
        "batch.csv", 1 << 20, task_force=teams[0].code)
    job = ImportJob.create(user=users["member"], token="t" * 43, file_name="big.csv",
                           state="failed", error="导入中断", rows_total=3000)   # issue 18
    exports = [ExportJob.create(user=users["member"], token="f" * 32, state="failed",
                                error="导出中断", rows_total=6000),
               ExportJob.create(user=users["member"], token="d" * 32, state="done",  # file gone
                                file_name="招商项目台账_全部_20260101.xlsx", rows_done=6000)]
    item = SupervisionItem.create(title="用地协调", problem="指标未落实", task_force=teams[0],
                                  deadline=d(12, 31), opened_by=users["bureau"])
    late = SupervisionItem.create(title="环评批复", problem="逾期未办", task_force=teams[0], deadline=d(1, 15),
                                  responsible=users["member"], opened_by=users["bureau"])   # 督办逾期
    activity = Activity.create(task_force=teams[0], kind="visit", occurred_on=d(1, 12), summary="拜访",
                               user=users["member"])
    robots = [GroupRobot.create(task_force=teams[0], kind="wecom", name="专班群",   # refused port: no post leaves
                                webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send?key=crawl"),
              GroupRobot.create(task_force=None, kind="dingtalk", name="商务局群", secret="SECcrawl",
                                webhook_url="http://127.0.0.1:9/robot/send?access_token=x",
                                state="broken", broken_reason="机器人地址或签名无效（errcode 300001）")]
    robot_messages = [RobotMessage.create(robot=robots[0], key="weekly:crawl", title="周报", content="内容"),
                      RobotMessage.create(robot=robots[1], key="weekly:crawl", title="周报", content="内容",
                                          status="failed", outcome="unknown", last_error="无应答")]
    requests = [CorrectionRequest.create(   # issue 19: a pending 更正申请 and a create one
        project=signed.id, task_force=signed.task_force_id, action="funds", summary="登记到位资金",
        reason="漏登", payload='{"received_on": "%d-01-21", "amount": "10", "source_layer": "省外"}' % year,
        closed_on=d(1, 21), requested_by=users["member"]),
        CorrectionRequest.create(project=None, task_force=teams[0], action="create", summary="新建项目",
                                 reason="补录", payload="{}", closed_on=d(1, 5), requested_by=users["member"],
                                 state="rejected", decision_note="不予补录")]
    return dict(robot_ids=[r.id for r in robots], robot_message_ids=[m.id for m in robot_messages],
                job_ids=[job.id], export_ids=[e.id for e in exports], request_ids=[r.id for r in requests],
                activity_ids=[activity.id], item_ids=[item.id, late.id],
                year=year, counties=counties, teams=teams, users=users, projects=projects,
                api_token=api_token, message_ids=message_ids, batch_ids=[batch.id],
                unsub=unsubscribe.make_token(users["member"], web_settings.unsubscribe_signer()))


def _arg_values(ledger):
    """Values to try per URL argument name: real ones first, then unknown ones."""
    return {
        "project_id": [ledger["projects"][0].id, ledger["projects"][-1].id, UNKNOWN_ID,
                       HUGE_ID],
        "message_id": ledger["message_ids"] + [UNKNOWN_ID, HUGE_ID],
        "code": [ledger["teams"][0].code, ledger["counties"][0].code, "NOPE"],
        "year": [ledger["year"], 1800, HUGE_ID],
        "token": [ledger["unsub"], "garbage.token"],
        "filename": ["style.css", "nope.css"],
        "session_id": [1, UNKNOWN_ID, HUGE_ID],
        "batch_id": ledger["batch_ids"] + [UNKNOWN_ID, HUGE_ID],
        "job_id": ledger["job_ids"] + [UNKNOWN_ID, HUGE_ID],
        "export_id": ledger["export_ids"] + [UNKNOWN_ID, HUGE_ID],
        "request_id": ledger["request_ids"] + [UNKNOWN_ID, HUGE_ID],
        "activity_id": ledger["activity_ids"] + [UNKNOWN_ID, HUGE_ID],
        "item_id": ledger["item_ids"] + [UNKNOWN_ID, HUGE_ID],
        "robot_id": ledger["robot_ids"] + [UNKNOWN_ID, HUGE_ID],
        "robot_message_id": ledger["robot_message_ids"] + [UNKNOWN_ID, HUGE_ID],
    }


def _urls(app, rule, values):
    """URLs for ``rule``: every real/unknown value of one argument at a time."""
    choices = {}
    for arg in rule.arguments:
        if arg not in values or not values[arg]:
            pytest.fail(f"cannot build {rule.rule} ({rule.endpoint}): no test value for "
                        f"<{arg}>; add one to _arg_values")
        choices[arg] = values[arg]
    combos = [{a: v[0] for a, v in choices.items()}]
    for arg, options in choices.items():
        for option in options[1:]:
            combos.append(dict(combos[0], **{arg: option}))
    urls = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for combo in combos:
            try:
                urls.append(adapter.build(rule.endpoint, combo))
            except BuildError as exc:
                pytest.fail(f"cannot build {rule.rule} with {combo}: {exc}")
    return urls


def _rules(app, method):
    return sorted((r for r in app.url_map.iter_rules() if method in r.methods),
                  key=lambda r: r.rule)


# --- request helpers ---------------------------------------------------------------

class Crawler:
    def __init__(self, app, ledger):
        self.app = app
        self.ledger = ledger
        self.failures = []
        self.counts = None   # row counts after the last POST

    def client(self, role):
        client = self.app.test_client()
        if role != "anonymous":
            response = client.post("/login", data={"username": role,
                                                   "password": "password123"})
            assert response.status_code == 302, f"login as {role} failed"
        return client

    def request(self, client, method, url, label, **kw):
        headers = {}
        if url.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.ledger['api_token']}"
        try:
            response = client.open(url, method=method, headers=headers, **kw)
        except Exception:  # noqa: BLE001 - a propagated exception is the 500 we look for
            self.failures.append(f"{label} {method} {url}: exception\n"
                                 + traceback.format_exc(limit=-4))
            return None
        if response.status_code >= 500:
            self.failures.append(f"{label} {method} {url}: HTTP {response.status_code}")
        return response

    def probe(self, client, url, role, query, split):
        """GET ``url`` with ``query``; when that is not a 200 (and ``split``), try each half of
        the query again, so every parameter is seen by the view at least once."""
        response = self.request(client, "GET", url, role, query_string=query)
        if split and len(query) > 1 and response is not None and response.status_code != 200:
            items = list(query.items())
            for half in (items[:len(items) // 2], items[len(items) // 2:]):
                self.probe(client, url, role, dict(half), split)

    def post(self, client, url, payload):
        """POST as bureau; a rejected POST must leave every table as it was.
        Returns a client that is still logged in."""
        before = self.counts = self.counts or _row_counts()
        response = self.request(client, "POST", url, "bureau", data=payload)
        alive = False
        if response is not None:
            with client.session_transaction() as session:
                flashes = session.pop("_flashes", [])
                alive = "_user_id" in session
            after = self.counts = _row_counts()
            if _rejected(response, flashes) and before != after:
                changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                self.failures.append(
                    f"bureau POST {url} {_short(payload)}: rejected "
                    f"(HTTP {response.status_code}) but changed rows {changed}")
        else:
            self.counts = None
            self.failures[-1] += f"\n  payload: {_short(payload)}"
        return client if alive else self.client("bureau")

    def report(self):
        assert not self.failures, f"{len(self.failures)} server errors:\n\n" + \
            "\n\n".join(self.failures)


@pytest.fixture
def crawl(sqlite_app):
    with sqlite_app.app_context():
        ledger = _seed()
    database.close()
    return Crawler(sqlite_app, ledger)


def _row_counts():
    """{table: row count}, in one query (SQLite quoting: this module runs on SQLite only)."""
    models = all_models()
    columns = ", ".join(f'(SELECT COUNT(*) FROM "{m._meta.table_name}")'
                        for m in models)
    with database.connection_context():
        counts = database.execute_sql(f"SELECT {columns}").fetchone()
    return {m.__name__: n for m, n in zip(models, counts)}


# --- forms on pages, to know the field names of every POST ----------------------------

class _Forms(HTMLParser):
    """POST forms of a page: {action path: {field name: default value}}."""

    def __init__(self):
        super().__init__()
        self.forms = {}
        self.page = ""      # path of the page being fed: a form without action posts there
        self.kinds = {}     # field name -> text | date | select | flag
        self._fields = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            action = urlsplit(attrs.get("action") or "").path or self.page
            self._fields = self.forms.setdefault(action, {})
        elif self._fields is None or not attrs.get("name") and tag != "option":
            return
        elif tag == "input" and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._fields[attrs["name"]] = attrs.get("value") or ""
            kind = attrs.get("type") or "text"
            if kind == "text" and not _is_number_or_empty(attrs.get("value")):
                kind = "words"   # prefilled with words: not a number field
            self.kinds[attrs["name"]] = {"date": "date", "checkbox": "flag", "radio": "select",
                                         "hidden": "flag", "words": "text"}.get(kind, "number")
        elif tag == "textarea":
            self._fields[attrs["name"]] = "说明"
            self.kinds[attrs["name"]] = "text"
        elif tag == "select":
            self._select = attrs["name"]
            self.kinds[attrs["name"]] = "select"
        elif tag == "option" and self._select and attrs.get("value"):
            if self._select not in self._fields or "selected" in attrs:
                self._fields[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


# --- tests ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_every_get_with_any_query_is_not_a_server_error(crawl, role):
    client = crawl.client(role)
    values = _arg_values(crawl.ledger)
    for rule in _rules(crawl.app, "GET"):
        urls = _urls(crawl.app, rule, values)
        plain = [crawl.request(client, "GET", url, role) for url in urls][0]
        for bundle in BUNDLED_QUERIES:
            crawl.probe(client, urls[0], role, bundle,
                        split=plain is not None and plain.status_code == 200)
    crawl.report()


def test_garbage_posts_are_rejected_cleanly(crawl):
    client = crawl.client("bureau")
    values = _arg_values(crawl.ledger)
    forms = _Forms()
    for rule in _rules(crawl.app, "GET"):
        for url in _urls(crawl.app, rule, values)[:1]:
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                forms.page = url
                forms.feed(response.get_data(as_text=True))
    for rule in _rules(crawl.app, "POST"):
        if rule.endpoint == "auth.logout":
            continue  # would only end the session; it takes no input
        urls = _urls(crawl.app, rule, values)
        for url in urls:
            page_form = forms.forms.get(url, {})
            fields = set(GENERIC_FIELDS) | set(page_form)
            # Every field spoilt at once: all garbage values when no page shows the form,
            # else a few (the form's fields are spoilt one at a time below).
            full = url == urls[0] and not page_form
            payloads = [{}] + [{f: g for f in fields} for g in (GARBAGE if full else GARBAGE[:3])]
            if url == urls[0]:
                # The form as the page fills it in, with one field spoiled at a time:
                # reaches the service checks behind the form validation.
                payloads += [dict(page_form, **{f: g}) for f in page_form
                             if f != "csrf_token" for g in FIELD_GARBAGE[forms.kinds[f]]]
            for payload in payloads:
                client = crawl.post(client, url, payload)
    crawl.failures += _overlong_values()
    crawl.report()


def _overlong_values():
    """Text longer than its column: SQLite stores it, PostgreSQL/MySQL would fail with a
    500, so a form that let it through is a bug even here."""
    problems = []
    with database.connection_context():
        for model in all_models():
            for field in model._meta.sorted_fields:
                if isinstance(field, CharField) and field.max_length:
                    n = model.select().where(fn.LENGTH(field) > field.max_length).count()
                    if n:
                        problems.append(f"{n} {model.__name__}.{field.name} value(s) longer "
                                        f"than {field.max_length} were stored")
    return problems


def _rejected(response, flashes):
    """Did the app refuse the POST (error status, error flash or form errors shown)?"""
    if response.status_code >= 400:
        return True
    if any(category in ("danger", "warning", "error") for category, _ in flashes):
        return True
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    return any(mark in body for mark in ('class="error"', "flash-danger", "flash-warning",
                                         "has-error"))


def _is_number_or_empty(value):
    try:
        float(value or 0)
    except ValueError:
        return False
    return True


def _short(payload):
    return {k: (v[:20] + f"...({len(v)})" if len(v) > 20 else v) for k, v in payload.items()}
