"""No Content-Security-Policy violation in a real browser on the app's pages (issue
"Accounts, sessions and hardening"): Chromium reports each blocked inline script or style
on the console, which is collected here while a bureau user walks the pages."""
import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.web.test_no_server_errors import _seed
from tracker.db import database
from tracker.web.security import CSP

from .conftest import login

pytestmark = pytest.mark.browser

BROWSER_PAGES = ["/dashboard/", "/dashboard/stale", "/projects/", "/projects/{project}",
                 "/projects/new", "/taskforces/", "/taskforces/{team}", "/counties/",
                 "/counties/{county}", "/targets/", "/outbox/", "/outbox/{message}",
                 "/prefs/summary", "/account/sessions"]


def test_no_csp_violation_in_a_real_browser(live_app, live_server, page):
    with live_app.app_context():
        ledger = _seed()
    database.close()
    messages = []
    page.on("console", lambda m: messages.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"{page.url}: {e}"))
    page.goto(f"{live_server}/login")
    login(page, live_server, "bureau", DEFAULT_PASSWORD)
    assert "/login" not in page.url
    ids = dict(project=ledger["projects"][0].id, team=ledger["teams"][0].code,
               county=ledger["counties"][0].code, message=ledger["message_ids"][0])
    for path in BROWSER_PAGES:
        response = page.goto(live_server + path.format(**ids))
        assert response.status == 200, path
        assert response.headers["content-security-policy"].startswith(CSP)
        page.wait_for_load_state("load")
    page.goto(f"{live_server}/taskforces/{ids['team']}")
    widths = page.eval_on_selector_all(".funnel .bar > span",
                                       "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and max(widths) > 0  # the bars still draw without inline style
    violations = [m for m in messages if "Content Security Policy" in m]
    assert not violations, "\n".join(violations)
