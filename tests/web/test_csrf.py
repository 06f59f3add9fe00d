"""CSRF: every state-changing URL rule rejects a request without a valid token.

The rules are enumerated from app.url_map at test time, so endpoints added later
by any blueprint are covered automatically. A rule whose URL cannot be built
fails the test (teach ``_value_for`` the new converter or argument instead).
Endpoints that are deliberately exempt must be listed in EXEMPT with the reason.
"""
import datetime
import re
import uuid

import pytest
from werkzeug.routing import BuildError
from werkzeug.routing.converters import (
    AnyConverter, FloatConverter, IntegerConverter, PathConverter, UnicodeConverter,
    UUIDConverter,
)

from tracker.models import Project, TaskForce, all_models
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tests.factories import DEFAULT_PASSWORD, make_county, make_task_force, make_user

project_service = backfill_ledger(ledger_projects)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# endpoint -> why it may accept a request without a CSRF token. Such a view must
# authenticate the request some other way; the test still checks that a forged
# request to it changes nothing.
EXEMPT = {
    "prefs.unsubscribe_post": "RFC 8058 one-click unsubscribe from mail clients; "
                              "authorised by the signed token in the URL.",
}

# Form fields a state-changing view might accept: plausible values, so a view
# that forgot CSRF protection would actually write something and fail the test.
FORM = {
    "code": "EVIL", "name": "跨站伪造", "kind": "6", "industry": "x", "active": "y",
    "task_force": "", "planned_investment": "1000", "investor": "x", "stage": "negotiating",
    "on": "2026-11-01", "occurred_on": "2026-11-01", "received_on": "2026-11-01",
    "note": "forged", "reason": "forged", "amount": "100", "contract_value": "500",
    "currency": "CNY", "source_layer": "省外", "wants_summary": "", "value": "1",
    "username": "admin", "password": DEFAULT_PASSWORD, "year": "2026",
}

TOKEN_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE_RE = re.compile(r'value="([^"]+)"')


def _token(html):
    tag = TOKEN_RE.search(html)
    assert tag, "no csrf_token field in the page"
    return VALUE_RE.search(tag.group(0)).group(1)


def _dump():
    """Every row of every table: the state a rejected request must not change."""
    return {model.__name__: sorted(map(repr, model.select().tuples()))
            for model in all_models()}


@pytest.fixture
def world(csrf_app):
    """Real rows for URL arguments, and a logged-in admin (so only CSRF can refuse)."""
    with csrf_app.app_context():
        county = make_county("XF", "新抚区")
        team = make_task_force("JXHG", "精细化工专班")
        admin = make_user("admin", role="admin", task_forces=[team])
        project = project_service.create_project(
            admin, task_force=team, name="CSRF 测试项目", investor="某集团",
            planned_investment="1000", on=datetime.date(2026, 3, 1), county=county)
        values = {
            "project_id": project.id, "task_force_id": team.id, "county_id": county.id,
            "user_id": admin.id, "code": team.code, "year": 2026,
        }
        form = dict(FORM, task_force=str(team.id), project=str(project.id))
    client = csrf_app.test_client()
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post("/login", data={
        "username": "admin", "password": DEFAULT_PASSWORD,
        "csrf_token": _token(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/taskforces/").status_code == 200
    return client, values, form


def _value_for(rule, name, converter, known):
    if name in known and not isinstance(converter, (AnyConverter, UUIDConverter)):
        return known[name]
    if isinstance(converter, IntegerConverter):
        return 1  # not-found ids are fine: CSRF is checked before the view runs
    if isinstance(converter, FloatConverter):
        return 1.0
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, AnyConverter):
        return next(iter(converter.items))
    if isinstance(converter, (PathConverter, UnicodeConverter)):
        return "x"
    pytest.fail(f"cannot build a value for <{name}> of {rule.rule} "
                f"({type(converter).__name__}): teach tests/web/test_csrf.py")


def _unsafe_rules(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(UNSAFE & set(rule.methods or ()))
        if methods:
            yield rule, methods


def _build(app, rule, known):
    values = {name: _value_for(rule, name, conv, known)
              for name, conv in rule._converters.items()}
    values.update({k: v for k, v in (rule.defaults or {}).items() if k not in values})
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        try:
            return adapter.build(rule.endpoint, values, method=None)
        except BuildError as exc:
            pytest.fail(f"cannot build a URL for {rule.endpoint} ({rule.rule}): {exc}")


def test_every_unsafe_rule_rejects_requests_without_a_token(csrf_app, world):
    client, known, form = world
    rules = list(_unsafe_rules(csrf_app))
    endpoints = {rule.endpoint for rule, _ in rules}
    # Sanity: the enumeration sees the known forms (and whatever others add).
    assert {"auth.login", "auth.logout", "taskforces.create", "taskforces.edit"} <= endpoints
    unknown_exempt = set(EXEMPT) - endpoints
    assert not unknown_exempt, f"EXEMPT lists endpoints that no longer exist: {unknown_exempt}"

    checked = []
    for rule, methods in rules:
        url = _build(csrf_app, rule, known)
        for method in methods:
            for token in (None, "forged-token"):
                with csrf_app.app_context():
                    before = _dump()
                data = dict(form)
                if token:
                    data["csrf_token"] = token
                response = client.open(url, method=method, data=data)
                with csrf_app.app_context():
                    after = _dump()
                label = f"{method} {url} ({rule.endpoint}, token={token!r})"
                assert after == before, f"{label} changed the database"
                if rule.endpoint in EXEMPT:
                    assert response.status_code in (400, 403, 404), \
                        f"{label}: exempt view accepted a forged request ({response.status_code})"
                else:
                    assert response.status_code == 400, \
                        f"{label} was not rejected: {response.status_code}"
                    assert "表单已失效" in response.get_data(as_text=True), label
                checked.append(label)
    assert len(checked) >= 2 * len(rules)
    # The rejected requests did not log the user out.
    assert client.get("/taskforces/").status_code == 200


def test_a_post_with_a_valid_token_succeeds(csrf_app, world):
    client, _, _ = world
    page = client.get("/taskforces/new")
    assert page.status_code == 200
    response = client.post("/taskforces/new", data={
        "code": "XCL", "name": "新材料专班", "kind": "6",
        "csrf_token": _token(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)
    with csrf_app.app_context():
        assert TaskForce.select().where(TaskForce.code == "XCL").exists()

    # Logout with the token from the page header form.
    html = client.get("/taskforces/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": _token(html)})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get("/taskforces/").status_code == 302  # logged out now


def test_a_token_from_another_session_is_rejected(csrf_app, world):
    client, _, _ = world
    stranger = csrf_app.test_client()
    foreign_token = _token(stranger.get("/login").get_data(as_text=True))
    with csrf_app.app_context():
        count = Project.select().count()
    response = client.post("/taskforces/new", data={
        "code": "XCL", "name": "新材料专班", "kind": "6", "csrf_token": foreign_token})
    assert response.status_code == 400
    with csrf_app.app_context():
        assert not TaskForce.select().where(TaskForce.code == "XCL").exists()
        assert Project.select().count() == count
