"""The year's turn (issue 19): in the first days of January the pages about a year's results
open on last year, and the dashboard points at last year's final results; from 31 March on
they open on the running year."""
import datetime

import pytest

from tracker import clock
from tests.factories import make_task_force, make_user


@pytest.fixture
def bureau(app, client, auth):
    with app.app_context():
        make_task_force("JXHG", "精细化工专班")
        make_user("bureau", role="bureau")
        make_user("member", role="member")
    return auth


def _on(monkeypatch, day):
    monkeypatch.setattr(clock, "today", lambda tz=None: day)


def test_first_days_of_january_open_on_last_year(monkeypatch, client, bureau):
    _on(monkeypatch, datetime.date(2027, 1, 5))
    bureau.login("bureau")
    page = client.get("/bulletin/").get_data(as_text=True)
    assert "<h1>2026年全年通报</h1>" in page and "2027年一季度开门红通报" not in page
    awards = client.get("/awards/").get_data(as_text=True)
    assert "2026 年落地成效排名" in awards
    dash = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="last-year"' in dash and "/awards/?year=2026" in dash
    assert "/bulletin/?checkpoint=year&amp;year=2026" in dash or \
        "/bulletin/?year=2026&amp;checkpoint=year" in dash
    # a year given in the address wins over the default
    assert "<h1>2027年一季度开门红通报</h1>" in client.get(
        "/bulletin/?year=2027&checkpoint=q1").get_data(as_text=True)


def test_a_member_gets_the_line_without_the_bureau_only_link(monkeypatch, client, bureau):
    _on(monkeypatch, datetime.date(2027, 1, 5))
    bureau.login("member")
    dash = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="last-year"' in dash and "/bulletin/" not in dash[dash.index('id="last-year"'):
                                                              dash.index("dash-meta")]


def test_from_the_first_checkpoint_the_running_year(monkeypatch, client, bureau):
    _on(monkeypatch, datetime.date(2027, 3, 31))
    bureau.login("bureau")
    assert "<h1>2027年一季度开门红通报</h1>" in client.get("/bulletin/").get_data(as_text=True)
    assert "2027 年落地成效排名" in client.get("/awards/").get_data(as_text=True)
    _on(monkeypatch, datetime.date(2027, 2, 1))
    assert 'id="last-year"' not in client.get("/dashboard/").get_data(as_text=True)
