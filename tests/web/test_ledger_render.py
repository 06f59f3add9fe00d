"""The ledger page's per-process shortcuts give the HTML of the plain way: row links and
list links built from one url_for (web.helpers.IdUrl, QueryUrl), the menu, the filter form,
the table head, the pager and the rows rendered once per state (nav_html, Fragments,
web.projects.rows) — a page rendered with every cache warm equals the one rendered cold,
whatever was asked before."""
import re

import pytest
from flask import url_for

from tests.factories import DEFAULT_PASSWORD, make_county, make_project, make_task_force, \
    make_user
from tracker.models import FundReceipt, Project, TaskForce, User
from tracker.web import helpers
from tracker.web.projects import forms, rows, views

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
    helpers._NAV._html.clear()
    for fragments in (views.TOP, views.HEAD, views.PAGER):
        fragments._html.clear()
    forms._PARSED.clear()
    rows._ROWS.clear()


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


def test_rows_show_every_change_even_without_a_new_timestamp(ledger_app):
    """The row cache is keyed by what a row shows: writes that leave updated_at alone (a
    receipt, a renamed owner, a raw update) show at once, each on its own."""
    client = _client(ledger_app, "boss")
    with ledger_app.app_context():
        project = Project.select().order_by(Project.updated_at.desc(), Project.id.desc()).get()
        boss = User.get(User.username == "boss")
    changes = [
        (lambda: Project.update(investor="新投资方").where(Project.id == project.id).execute(),
         '<td class="ph-hide">新投资方</td>'),
        (lambda: Project.update(owner=boss.id).where(Project.id == project.id).execute(),
         '<td class="nowrap" data-field="owner">boss</td>'),
        (lambda: User.update(display_name="商务局甲").where(User.id == boss.id).execute(),
         '<td class="nowrap" data-field="owner">商务局甲</td>'),
        (lambda: FundReceipt.create(project=project.id, received_on=project.created_at.date(),
                                    amount="123.45", source_layer=FundReceipt.SOURCE_LAYERS[0]),
         '<td class="num" data-field="funds">123.45</td>'),
    ]
    for change, shown in changes:
        assert shown not in _page(client, "/projects/")
        with ledger_app.app_context():
            change()
        assert shown in _page(client, "/projects/")


def test_the_row_key_covers_every_value_the_row_template_reads():
    import inspect
    import pathlib
    source = (pathlib.Path(__file__).parents[2] / "templates" / rows.ROW_TEMPLATE).read_text()
    shown = set(re.findall(r"\bp\.(\w+)", source))
    keyed = set(re.findall(r"\bp\.(\w+)", inspect.getsource(rows.row_key)))
    derived = {"tag_list": "tags"}      # properties of the row and what they are made of
    assert {derived.get(name, name) for name in shown} <= keyed
