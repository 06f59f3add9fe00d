"""Security headers on every response (issue "Accounts, sessions and hardening").

- Content-Security-Policy: scripts, styles and images from this site only; no inline script
  or style (the templates carry none: a bar's width is a class, see static/style.css), no
  framing, no foreign form targets or base URL.
- X-Frame-Options DENY (older browsers), X-Content-Type-Options nosniff,
  Referrer-Policy same-origin.
- Cache-Control: no-store on every page, download and API answer, which may hold
  unannounced deals; static files keep their caching.

A view may set its own header first: nothing set here replaces one already present.
"""
from flask import request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_headers(response):
    """after_request: the headers above; no-store unless the response is a static file."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


def init_app(app):
    app.after_request(add_headers)
