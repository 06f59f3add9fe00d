"""Security headers on every response, pages free of inline script and style, secure
cookies, and no Content-Security-Policy violation in a real browser (issue "Accounts,
sessions and hardening"). The browser check is tests/browser/test_csp.py."""
from html.parser import HTMLParser

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.web.test_no_server_errors import _arg_values, _rules, _urls, crawl  # noqa: F401
from tracker.web.security import CACHEABLE, CSP, policy

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def test_the_policy_is_the_agreed_one():
    assert CSP == ("default-src 'self'; script-src 'self'; style-src 'self'; "
                   "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; "
                   "form-action 'self'")


class _Inline(HTMLParser):
    """Inline script or style in a page: style attributes, on* handlers, <script> or
    <style> elements with content, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "style" or name.startswith("on") or \
                    (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=...>")
        if tag in ("script", "style"):
            self._open = tag

    def handle_data(self, data):
        if self._open and data.strip():
            self.found.append(f"<{self._open}> with content")

    def handle_endtag(self, tag):
        self._open = None


@pytest.mark.parametrize("role", ["anonymous", "member", "bureau", "admin"])
def test_headers_on_every_route_and_no_inline_code(crawl, role):  # noqa: F811
    client = crawl.client(role)
    values = _arg_values(crawl.ledger)
    problems = []
    for rule in _rules(crawl.app, "GET"):
        for url in _urls(crawl.app, rule, values):
            response = crawl.request(client, "GET", url, role)
            if response is None:
                continue
            missing = {k: response.headers.get(k) for k, v in EXPECTED.items()
                       if response.headers.get(k) != v}
            # policy(endpoint), or the plain one where the URL matched no endpoint (404)
            if response.headers.get("Content-Security-Policy") not in (policy(rule.endpoint),
                                                                        CSP):
                missing["Content-Security-Policy"] = response.headers.get(
                    "Content-Security-Policy")
            if missing:
                problems.append(f"{role} {url}: {missing}")
            cache = response.headers.get("Cache-Control", "")
            if (rule.endpoint in CACHEABLE) == ("no-store" in cache):
                problems.append(f"{role} {url}: Cache-Control {cache!r}")
            if response.mimetype == "text/html":
                parser = _Inline()
                parser.feed(response.get_data(as_text=True))
                problems += [f"{role} {url}: {f}" for f in parser.found]
    crawl.report()
    assert not problems, "\n".join(problems)


def test_only_the_mail_preview_allows_style_attributes(sqlite_app):
    relaxed = {r.endpoint for r in sqlite_app.url_map.iter_rules()
               if policy(r.endpoint) != CSP}
    assert relaxed == {"outbox.show"}
    assert policy("outbox.show") == CSP + "; style-src-attr 'unsafe-inline'"


def test_error_pages_and_posts_carry_the_headers(sqlite_app):
    client = sqlite_app.test_client()
    for response in (client.get("/no-such-page"), client.post("/login", data={}),
                     client.get("/login?next=%00"), client.get("/static/nope.css")):
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Frame-Options"] == "DENY"


def test_static_files_keep_their_caching(sqlite_app):
    response = sqlite_app.test_client().get("/static/style.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("settings, secure", [
    ({}, False),  # the default BASE_URL is http://127.0.0.1:5000
    ({"BASE_URL": "http://localhost:8000"}, False),
    ({"BASE_URL": "https://tracker.example.gov.cn"}, True),
    ({"BASE_URL": "http://10.1.2.3:8000"}, False),  # plain-http intranet: the login must hold
    ({"BASE_URL": "HTTPS://tracker.intranet"}, True),
    ({"BASE_URL": "https://tracker.example.gov.cn", "SESSION_COOKIE_SECURE": False,
      "REMEMBER_COOKIE_SECURE": False}, False),  # an explicit setting wins
    ({"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True}, True),
])
def test_secure_cookies_unless_local_http(sqlite_url, tmp_path, settings, secure):
    from tests.conftest import make_app
    app = make_app(sqlite_url, tmp_path / "instance", **settings)
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]


def test_secure_cookie_flags_are_sent(sqlite_url, tmp_path):
    from tests.conftest import make_app
    from tests.factories import make_user
    app = make_app(sqlite_url, tmp_path / "instance", BASE_URL="https://tracker.example")
    with app.app_context():
        make_user("alice")
    try:
        response = app.test_client().post("/login", data={
            "username": "alice", "password": DEFAULT_PASSWORD, "remember": "y"},
            base_url="https://localhost")
        cookies = response.headers.getlist("Set-Cookie")
        assert len(cookies) == 2
        assert all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
    finally:
        with app.app_context():
            from tests.conftest import clean_tables
            clean_tables()
