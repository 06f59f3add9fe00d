"""Issue 20, "one name per thing": 红黄预警 is one set (domain.progress.WARNING_STATUSES) on the
dashboard and in the weekly mail; the dashboard links the 通报; the award weights are said in
words; the ledger export is named after its scope; the outbox writes weeks "2026年第26周" and
folds the technical mail headers away; every page starts with a skip link to <main id="main">."""
import dataclasses
import datetime
import re
from urllib.parse import quote

import pytest
from flask import current_app

from tests.conftest import AuthActions
from tests.factories import make_user
from tests.services import summary_ledger as SL
from tracker import settings as web_settings
from tracker.domain import progress as P
from tracker.domain.weeks import parse_week, week_label
from tracker.models import OutboxMessage
from tracker.services.ledger import export as ledger_export
from tracker.services.mail import render, summaries
from tracker.services.mail.data import collect
from tracker.web.dashboard import views as dashboard_views

from . import progress_ledger as L

QUERY = "year=2026&as_of=2026-06-30"


@pytest.fixture
def built(sqlite_app):
    with sqlite_app.app_context():
        return L.build()


@pytest.fixture
def client(sqlite_app):
    return sqlite_app.test_client()


@pytest.fixture
def auth(client):
    return AuthActions(client)


def _recoloured(rows, colours):
    """``rows`` (TaskForceProgress) with the statuses of ``colours`` ({code: status})."""
    return tuple(dataclasses.replace(r, status=colours.get(r.code, r.status)) for r in rows)


# --- 红黄预警 ------------------------------------------------------------------------------

def test_warning_statuses_are_red_and_orange():
    assert P.WARNING_STATUSES == (P.RED, P.ORANGE)


def test_dashboard_warns_the_one_set(client, auth, built, monkeypatch):
    """An orange task force is warned under 欠进度的专班 (as in the mail and the 通报); a
    yellow one (略欠进度) is not."""
    build = dashboard_views.progress_service.build_report

    def recoloured(*args, **kw):
        report = build(*args, **kw)
        return dataclasses.replace(report, rows=_recoloured(
            report.rows, {"CHEM": P.ORANGE, "EQUIP": P.YELLOW}))

    monkeypatch.setattr(dashboard_views.progress_service, "build_report", recoloured)
    auth.login("boss")
    html = client.get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    warnings = html[html.index('id="warnings"'):html.index('id="city-totals"')]
    assert "<h2>红黄预警</h2>" in warnings
    teams = dict(re.findall(r'<p class="warning-teams" data-status="(\w+)">(.*?)</p>', warnings,
                            re.S))
    assert list(teams) == [P.ORANGE]
    assert "欠进度的专班" in teams[P.ORANGE] and "精细化工专班" in teams[P.ORANGE]
    assert "装备制造专班" not in teams[P.ORANGE]


def test_dashboard_warned_teams_are_those_red_or_orange_in_the_ranking(client, auth, built):
    auth.login("boss")
    html = client.get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    ranking = re.findall(r'<tr class="team" data-code="(\w+)">.*?<a [^>]*>([^<]+)</a>.*?'
                         r'data-status="(\w+)"', html, re.S)
    assert ranking
    warnings = html[html.index('id="warnings"'):html.index('id="city-totals"')]
    warned = set(re.findall(r">([^<>]+专班)</a>", "".join(
        re.findall(r'<p class="warning-teams".*?</p>', warnings, re.S))))
    assert warned == {name for _code, name, status in ranking if status in P.WARNING_STATUSES}


def test_mail_warns_the_one_set(sqlite_app):
    """The bureau mail's 红黄预警 lists the red and orange task forces and, of each, its red
    and orange metrics: never a yellow (略欠进度) one."""
    with sqlite_app.app_context():
        SL.build()
        data = collect(parse_week(SL.WEEK), web_settings.mail(current_app))
        tf1, tf2 = data.report.rows
        yellow = dataclasses.replace(tf1.metrics["negotiations"], status=P.YELLOW)
        tf1 = dataclasses.replace(tf1, status=P.ORANGE,
                                  metrics=dict(tf1.metrics, negotiations=yellow))
        data.report = dataclasses.replace(data.report,
                                          rows=(tf1, dataclasses.replace(tf2, status=P.YELLOW)))
        assert [r.code for r in render.city_view(data)["flags"]] == ["TF1"]
        draft = render.city_draft(data)
        for body in (draft.text, draft.html):
            section = body[body.index("红黄预警"):body.index("节点风险")]
            assert tf1.name in section and tf2.name not in section
            assert tf1.metrics["packaged_value"].label in section      # red: listed
            assert tf1.metrics["negotiations"].label not in section    # yellow: not a warning


# --- the dashboard links the 通报 ------------------------------------------------------------

def test_dashboard_links_the_bulletin(sqlite_app, client, auth, built):
    auth.login("boss")
    html = client.get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    link = re.search(r'<a class="btn" id="bulletin-link" href="([^"]+)">查看通报</a>', html)
    assert link and link.group(1) == "/bulletin/?year=2026"
    assert client.get(link.group(1)).status_code == 200
    auth.logout()
    with sqlite_app.app_context():
        make_user("reader", role="member", task_forces=[built["chem"]])
    auth.login("reader")
    html = client.get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    assert 'id="bulletin-link" href="/bulletin/?year=2026"' in html       # the 通报 goes to
    assert client.get("/bulletin/?year=2026").status_code == 200           # every task force


# --- award weights in words ------------------------------------------------------------------

def test_award_weights_are_said_in_words(sqlite_app, client, auth, built):
    auth.login("boss")
    html = client.get("/awards/?year=2026").get_data(as_text=True)
    words = re.search(r'id="award-weights-words">([^<]+)<', html).group(1)
    assert words.startswith("综合得分 = 履约率×25% + 开工率×15% + 投产率×20% + 资金到位率×20% + "
                            "10亿元以上项目×10% + 500强/央企项目×10%")
    assert "AWARD_WEIGHTS" not in html and "配置项" not in html
    sqlite_app.config["AWARD_WEIGHTS"] = {"performance": 40, "start": 20, "production": 10,
                                          "funds": 10, "big": 10, "top": 10}
    html = client.get("/awards/?year=2026").get_data(as_text=True)
    assert "综合得分 = 履约率×40% + 开工率×20% + 投产率×10%" in html


# --- exports named after their scope ---------------------------------------------------------

NOW = datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.timezone.utc)


def test_ledger_export_of_本专班_is_named_after_its_team(sqlite_app, built):
    with sqlite_app.app_context():
        chem, equip = built["chem"], built["equip"]
        one = {"teams": [chem.id]}
        assert ledger_export.file_names(one, NOW) == (
            "招商项目台账_精细化工_20261128.xlsx", "project-ledger_CHEM_20261128.xlsx")
        assert ledger_export.describe_filters(one).startswith("专班：精细化工专班；")
        both = {"teams": [equip.id, chem.id]}
        assert ledger_export.file_names(both, NOW)[0] == "招商项目台账_本专班_20261128.xlsx"
        assert ledger_export.describe_filters(both).startswith("专班：精细化工专班、装备制造专班；")
        assert ledger_export.file_names({}, NOW)[0] == "招商项目台账_全部_20261128.xlsx"
        assert ledger_export.describe_filters({}).startswith("专班：全部；")


def test_本专班_export_page_names_the_team(sqlite_app, client, auth, built):
    with sqlite_app.app_context():
        make_user("chemist", role="member", task_forces=[built["chem"]])
    auth.login("chemist")
    response = client.get("/projects/export.xlsx?scope=team")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert quote("招商项目台账_精细化工_", safe="") in disposition and "_全部_" not in disposition
    assert "project-ledger_CHEM_" in disposition


# --- the outbox: weeks in words, technical headers folded ---------------------------------------

def test_week_label():
    assert week_label("2026-W49") == "2026年第49周"
    assert week_label("2026-W01") == "2026年第1周"
    assert week_label("bogus") == "bogus" and week_label(None) is None


def test_outbox_writes_weeks_in_words_and_folds_technical_headers(sqlite_app, client, auth):
    with sqlite_app.app_context():
        SL.build()
        summaries.build_week(SL.WEEK, web_settings.mail(current_app))
        message = OutboxMessage.select().order_by(OutboxMessage.id).first().id
    auth.login("boss")
    listing = client.get("/outbox/").get_data(as_text=True)
    assert "2026年第26周" in listing
    assert not re.search(r">\s*2026-W26\s*<", listing)
    page = client.get(f"/outbox/{message}").get_data(as_text=True)
    headers = page[page.index('id="mail-headers"'):page.index("HTML 正文")]
    folded = headers.index('<details class="mail-technical" id="technical-headers">')
    shown = page[:page.index('id="mail-headers"')] + headers[:folded]
    assert "2026年第26周" in shown and not re.search(r">[^<]*2026-W26", shown)  # URLs may
    assert "<dt>主题</dt>" in headers[:folded] and "<dt>收件人</dt>" in headers[:folded]
    for technical in ("Message-ID", "MIME-Version", "Content-Type"):
        assert technical not in headers[:folded] and technical in headers[folded:]


# --- the skip link -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/dashboard/", "/projects/", "/awards/", "/outbox/"])
def test_every_page_starts_with_a_skip_link_to_main(client, auth, built, path):
    if path != "/login":
        auth.login("boss")
    html = client.get(path).get_data(as_text=True)
    body = html[html.index("<body"):]
    first = re.search(r"<(a|button|input|select|textarea|summary)\b[^>]*>", body).group(0)
    assert first == '<a class="skip-link" href="#main">'
    assert re.search(r'<main [^>]*id="main"', body)
