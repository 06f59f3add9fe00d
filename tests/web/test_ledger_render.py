"""The ledger page's per-process shortcuts give the HTML of the plain way: row links and
list links built from one url_for (web.helpers.IdUrl, QueryUrl), the menu and the filter
form rendered once per state (nav_html, Fragments) — a page rendered with every cache warm
equals the one rendered cold, whatever was asked before."""
import re

import pytest
from flask import url_for

from tests.factories import DEFAULT_PASSWORD, make_county, make_project, make_task_force, \
    make_user
from tracker.models import TaskForce
from tracker.web import helpers
from tracker.web.projects import forms, views

URLS = ("/projects/", "/projects/?q=%3Cb%3E%22x+y&tf=abc&year=1999&per=7",
        "/projects/?scope=mine&sort=name&dir=asc&page=2", "/projects/?stage=signed&per=50",
        "/projects/?page=2&per=25", "/projects/?scope=team", "/projects/?tf={tf}&county={c}",
        "/projects/?sort=contract&dir=asc&per=25&page=2", "/dashboard/", "/account/")


@pytest.fixture
def ledger_app(sqlite_app):
    with sqlite_app.app_context():
        team, other, county = make_task_force("TF1"), make_task_force("TF2"), make_county("C1")
        make_user("boss", role="bureau")
        make_user("mia", task_forces=[team])
        for n in range(60):
            make_project(team if n % 2 else other, name=f"项目{n}", investor=f"投资方{n}",
                         county=county if n % 3 else None, tags="央企" if n % 5 else "")
        sqlite_app.ids = {"tf": team.id, "c": county.id}
    return sqlite_app


def _client(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    client.get("/account/")    # shows (and so drops) the welcome message
    return client


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def _clear():
    helpers._NAV_HTML.clear()
    views.FILTERS._html.clear()
    forms._PARSED.clear()


@pytest.mark.parametrize("username", ["boss", "mia"])
def test_warm_pages_equal_cold_ones(ledger_app, username):
    client = _client(ledger_app, username)
    urls = [u.format(**ledger_app.ids) for u in URLS]
    cold = {}
    for url in urls:
        _clear()
        cold[url] = _page(client, url)
    for url in reversed(urls + urls):
        assert _page(client, url) == cold[url], url
    assert 'class="active" aria-current="page">项目台账</a>' in cold[urls[0]]


def test_query_and_id_urls_equal_url_for(ledger_app):
    args = [{}, {"page": 1}, {"q": "a b&c=d/é?#", "tf": 3, "per": None},
            {"sort": "name", "dir": "asc", "page": 2, "after": "12.2026-01-01T00:00:00"},
            {"scope": "team", "stage": "", "year": 2026}, {"per": None}]
    with ledger_app.test_request_context("/", base_url="http://x/prefix"):
        ledger = helpers.QueryUrl("projects.ledger")
        for given in args:
            assert ledger(**given) == url_for("projects.ledger", **given)
        detail = helpers.IdUrl("projects.detail", "project_id")
        for ident in (1, 42, 2**31 - 1):
            assert detail(ident) == url_for("projects.detail", project_id=ident)
        assert detail.prefix.startswith("/prefix/")
        with pytest.raises(ValueError):
            helpers.IdUrl("projects.edit", "project_id")   # /projects/<id>/edit


def test_a_renamed_task_force_shows_at_once(ledger_app):
    client = _client(ledger_app, "boss")
    assert ">TF1专班</option>" in _page(client, "/projects/")
    with ledger_app.app_context():
        TaskForce.update(name="新名专班").where(TaskForce.code == "TF1").execute()
    page = _page(client, "/projects/")
    assert ">新名专班</option>" in page and "TF1专班" not in page
    assert '<td class="ph-hide">新名专班</td>' in page
