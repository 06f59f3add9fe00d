"""Monday morning for the whole city (issue 23), as locust users; started by
bench/loadtest.py (``make loadtest``), which builds the database and the accounts and sets:

  LOADTEST_PEOPLE  the roster JSON of bench/load_data.py (accounts and their password)
  LOADTEST_WRITES  the JSON-lines file every write is recorded in (bench/load_check.py)
  LOADTEST_RUN     this run's mark, part of every written text (the checker's key)

Three kinds of people, each logging in once, with the app's CSRF protection on (every POST
carries the token its page gave): 150 members (weight 150) browse their task force's ledger
and projects and write: 推进阶段 (with the stage the page showed, as a browser sends it),
到位资金 and 跟进记录; 40 bureau users read the dashboard, a task force's folded detail and
page, the 通报 (and its .docx) and export (the progress workbook; a task force's ledger);
10 city leaders read the dashboard and the 通报 on a phone (an iPhone user agent).

Every write is recorded as "sent" before it is posted (a user stopped at the end of the
run, or a timeout, leaves it at that: outcome unknown), and posted without following the
redirect, so its answer is known: 302 =
accepted (the redirected page is then read as a browser would, and a 更正申请 flash makes
it "filed"), 200 = refused (the page's messages are kept; only a stage moved by somebody
else in between is an expected refusal, anything else fails the request), anything else =
unknown. Each outcome is one line in LOADTEST_WRITES with the project, the amount or stage
and the mark written into the note / 佐证材料 / 跟进内容.
"""
import itertools
import json
import os
import random
import re
import sys
import time
from urllib.parse import urlencode

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_forms as pages  # noqa: E402

PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Safari/537.36")
RUN = os.environ.get("LOADTEST_RUN", "LT" + time.strftime("%H%M%S"))
PAGE_COUNT = re.compile(r"第 \d+ / (\d+) 页")
STALE_STAGE = "刚被他人改为"
NEXT_STAGES = {"reserve", "packaged", "negotiating", "signed", "started", "producing"}
LAYERS = ("省外", "市外省内", "境外")
WAIT = [float(x) for x in os.environ.get("LOADTEST_WAIT", "3,10").split(",")]


def _roster():
    path = os.environ.get("LOADTEST_PEOPLE")
    if not path:
        return "", {"member": [], "bureau": [], "leader": []}
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    groups = {"member": [], "bureau": [], "leader": []}
    for person in data["people"]:
        kind = "leader" if person["username"].startswith("load_leader") else person["role"]
        groups[kind].append(person["username"])
    return data["password"], groups


PASSWORD, GROUPS = _roster()
ACCOUNTS = {kind: itertools.cycle(names) for kind, names in GROUPS.items() if names}
_marks = itertools.count(1)


def record(**entry):
    """One line of LOADTEST_WRITES (flushed at once: a crash loses no accepted write)."""
    path = os.environ.get("LOADTEST_WRITES")
    if path:
        entry["at"] = round(time.time(), 3)
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


TIMES = {"requests": [], "spawned_at": None}


@events.request.add_listener
def _timed(request_type, name, response_time, exception=None, start_time=None, **_kw):
    """Every request's time, kept for exact percentiles (bench/load_check.stats_table)."""
    TIMES["requests"].append((name, request_type, round(start_time or time.time(), 3),
                              round(response_time or 0, 1), exception is not None))


@events.spawning_complete.add_listener
def _spawned(user_count, **_kw):
    TIMES["spawned_at"] = time.time()


@events.quitting.add_listener
def _save_times(**_kw):
    path = os.environ.get("LOADTEST_TIMES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(TIMES, out, ensure_ascii=False)


def mark():
    return f"{RUN}-{next(_marks):06d}"


class Person(FastHttpUser):
    abstract = True
    kind = "member"
    agent = DESKTOP
    wait_time = between(*WAIT)
    connection_timeout = 30.0
    network_timeout = 60.0

    def on_start(self):
        self.username = next(ACCOUNTS[self.kind])
        login = self.get("/login", "login: page")
        form = pages.form_to(login, "") if login else None
        if form is None:
            raise RuntimeError("no login form")
        form.set("username", self.username)
        form.set("password", PASSWORD)
        status, body = self.post_form("/login", form, "login: POST", judged=False)
        if status != 302:
            raise RuntimeError(f"login of {self.username} refused: HTTP {status} "
                               f"{pages.messages(body)}")

    def _headers(self):
        return {"User-Agent": self.agent}

    def get(self, path, name):
        """GET ``path`` as group ``name``; the page's text (None when it failed)."""
        with self.client.get(path, name=name, headers=self._headers(),
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            return response.text

    def post_form(self, path, form, name, judged=True):
        """POST without following the redirect: (status, Location or page text). A 200
        (a refusal, shown on the page) is left to the caller to judge when ``judged``."""
        headers = dict(self._headers(), **{"Content-Type": "application/x-www-form-urlencoded"})
        with self.client.post(path, data=urlencode(form.fields), name=name, headers=headers,
                              allow_redirects=False, catch_response=True) as response:
            status = response.status_code
            if status == 302:
                response.success()
                return status, response.headers.get("Location", "").split("#")[0]
            if status == 200 and judged:
                response.success()
                return status, response.text or ""
            response.failure(f"HTTP {status}")
            return status, response.text or ""


class Member(Person):
    """A task-force member: the 本专班 ledger, projects, and the three writes."""
    weight = 150

    def on_start(self):
        super().on_start()
        self.projects, self.pages = [], 1
        self.landing()

    def _remember(self, page):
        if page:
            found = pages.project_ids(page)
            self.projects = (self.projects + found)[-200:]
            counts = PAGE_COUNT.findall(page)
            if counts:
                self.pages = max(self.pages, int(counts[0]))

    @task(4)
    def landing(self):
        self._remember(self.get("/projects/", "member: ledger 本专班 (landing)"))

    @task(3)
    def ledger_page(self):
        choice = random.random()
        if choice < 0.5:
            path = f"/projects/?scope=team&page={random.randint(1, min(self.pages, 80))}"
        elif choice < 0.8:
            stage = random.choice(("negotiating", "packaged", "signed", "reserve"))
            path = f"/projects/?scope=team&stage={stage}"
        else:
            path = f"/projects/?scope=team&q={random.randint(1, 99999):05d}"
        self._remember(self.get(path, "member: ledger page/filter"))

    def _project(self):
        if not self.projects:
            self.landing()
        return random.choice(self.projects) if self.projects else None

    @task(4)
    def project_page(self):
        pid = self._project()
        if pid:
            self.get(f"/projects/{pid}", "member: project page")

    def _after(self, kind, location, entry):
        """Read the redirected page; a 更正申请 flash = filed, else accepted."""
        page = self.get(location or f"/projects/{entry['project']}", "member: page after a write")
        filed = page is not None and "更正申请 #" in page
        record(kind=kind, outcome="filed" if filed else "accepted", **entry)

    def _refused(self, kind, page, entry, expected=()):
        message = pages.messages(page)
        record(kind=kind, outcome="refused", message=message, **entry)
        if not any(e in message for e in expected):
            events.request.fire(request_type="CHECK", name=f"member: {kind} refused",
                                response_time=0, response_length=0,
                                exception=RuntimeError(message[:120]), context={})

    @task(1)
    def stage_change(self):
        pid = self._project()
        page = pid and self.get(f"/projects/{pid}", "member: project page")
        form = page and pages.form_to(page, f"/projects/{pid}/stage")
        if not form:
            return
        seen, target = form.value("stage-expected_stage"), form.value("stage-stage")
        if seen not in NEXT_STAGES or target == seen:
            return                      # at capacity or dropped: nothing to advance
        self.wait_a_moment()
        entry = {"project": pid, "from": seen, "to": target, "mark": mark(),
                 "user": self.username}
        form.set("stage-note", f"负荷测试推进 {entry['mark']}")
        if target == "signed":
            entry["contract_value"] = f"{random.randint(1000, 90000)}.00"
            form.set("stage-contract_value", entry["contract_value"])
            form.set("stage-signing_grade", "contract")
        record(kind="stage", outcome="sent", **entry)
        status, body = self.post_form(f"/projects/{pid}/stage", form, "member: POST 推进阶段")
        if status == 302:
            self._after("stage", body, entry)
        elif status == 200:
            self._refused("stage", body, entry, expected=(STALE_STAGE,))
        else:
            record(kind="stage", outcome="unknown", status=status, **entry)

    @task(1)
    def receipt(self):
        pid = self._project()
        page = pid and self.get(f"/projects/{pid}", "member: project page")
        form = page and pages.form_to(page, f"/projects/{pid}/funds")
        if not form:
            return
        self.wait_a_moment()
        entry = {"project": pid, "amount": f"{random.randint(1, 50000) / 100:.2f}", "mark": mark(),
                 "user": self.username}
        form.set("funds-amount", entry["amount"])
        form.set("funds-source_layer", random.choice(LAYERS))
        form.set("funds-evidence", f"银行回单 {entry['mark']}")
        record(kind="funds", outcome="sent", **entry)
        status, body = self.post_form(f"/projects/{pid}/funds", form, "member: POST 到位资金")
        if status == 302:
            self._after("funds", body, entry)
        elif status == 200:
            self._refused("funds", body, entry)
        else:
            record(kind="funds", outcome="unknown", status=status, **entry)

    @task(1)
    def follow_up(self):
        pid = self._project()
        path = f"/activities/new?project={pid}"
        page = pid and self.get(path, "member: 跟进记录 form")
        form = page and next((f for f in pages.forms(page)
                              if "activity-form" in f.attrs.get("class", "")), None)
        if not form:
            return
        self.wait_a_moment()
        entry = {"project": pid, "mark": mark(), "user": self.username}
        form.set("counterpart", "某投资企业")
        form.set("summary", f"电话沟通项目进展 {entry['mark']}")
        record(kind="activity", outcome="sent", **entry)
        status, body = self.post_form(path, form, "member: POST 跟进记录")
        if status == 302:
            self._after("activity", body, entry)
        elif status == 200:
            self._refused("activity", body, entry)
        else:
            record(kind="activity", outcome="unknown", status=status, **entry)

    def wait_a_moment(self):
        """Typing the form."""
        time.sleep(random.uniform(1, 4))


class Bureau(Person):
    """商务局: the dashboard, task forces, 通报 and exports."""
    weight = 40
    kind = "bureau"

    def on_start(self):
        super().on_start()
        self.teams = [f"TF{i:02d}" for i in range(1, 51)]
        self.dashboard()

    @task(5)
    def dashboard(self):
        self.get("/dashboard/", "bureau: dashboard")

    @task(2)
    def team_detail(self):
        self.get(f"/dashboard/teams/{random.choice(self.teams)}", "bureau: dashboard team detail")

    @task(3)
    def task_force(self):
        self.get(f"/taskforces/{random.choice(self.teams)}", "bureau: task-force page")

    @task(2)
    def bulletin(self):
        self.get("/bulletin/", "bureau: 通报")

    @task(1)
    def bulletin_docx(self):
        self.get("/bulletin/bulletin.docx", "bureau: 通报 .docx")

    @task(1)
    def export_progress(self):
        self.get("/dashboard/export.xlsx", "bureau: export progress .xlsx")

    @task(1)
    def export_team_ledger(self):
        tf = random.randint(1, 50)      # task-force ids of the generated ledger: 1..50
        self.get(f"/projects/export.xlsx?tf={tf}", "bureau: export one task force's ledger")


class Leader(Person):
    """A city leader on a phone: the dashboard, now and then the 通报."""
    weight = 10
    kind = "leader"
    agent = PHONE
    wait_time = between(WAIT[0] * 2, WAIT[1] * 2)

    @task(5)
    def dashboard(self):
        self.get("/dashboard/", "leader: dashboard (phone)")

    @task(1)
    def bulletin(self):
        self.get("/bulletin/", "leader: 通报 (phone)")
