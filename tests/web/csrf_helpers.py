"""Posting with CSRF protection on (the ``csrf_app`` fixture, or any app made with
WTF_CSRF_ENABLED=True): the token is read from a page first, as a browser would."""
import re

from tests.factories import DEFAULT_PASSWORD

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token(client, page):
    html = client.get(page).get_data(as_text=True)
    found = TOKEN.search(html)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def post(client, url, data=None, page=None, **kwargs):
    """POST ``data`` to ``url`` with the token of ``page`` (default: ``url``)."""
    data = dict(data or {}, csrf_token=token(client, page or url))
    return client.post(url, data=data, **kwargs)


def login(client, username, password=DEFAULT_PASSWORD, address="127.0.0.1"):
    environ = {"REMOTE_ADDR": address}
    data = {"username": username, "password": password,
            "csrf_token": TOKEN.search(client.get("/login", environ_base=environ)
                                       .get_data(as_text=True)).group(1)}
    return client.post("/login", data=data, environ_base=environ)
