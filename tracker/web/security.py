"""Security headers on every response (issue "Accounts, sessions and hardening").

- Content-Security-Policy: scripts, styles and images from this site only; no inline script
  or style (the templates carry none: a bar's width is a class, see static/style.css), no
  framing, no foreign form targets or base URL.
- X-Frame-Options DENY (older browsers), X-Content-Type-Options nosniff,
  Referrer-Policy same-origin.
- Cache-Control: no-store on every page, download and API answer, which may hold
  unannounced deals; static files keep their caching.

A view may set its own header first: nothing set here replaces one already present.

One exception: the outbox message page shows the mail's HTML in a sandboxed ``srcdoc``
frame, which inherits the page's policy, and mail carries its styles in ``style``
attributes (mail clients need them inline). That page alone adds ``style-src-attr
'unsafe-inline'``: style attributes only, never a ``<style>`` element or any script, and
``img-src`` still keeps every request on this site.
"""
from flask import request

# Answers cached like files (they carry a content hash in their URL): no no-store.
CACHEABLE = frozenset({"static", "colours_css"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
STYLE_ATTRIBUTE_PAGES = frozenset({"outbox.show"})
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def policy(endpoint):
    """The Content-Security-Policy of a response of ``endpoint``."""
    if endpoint in STYLE_ATTRIBUTE_PAGES:
        return CSP + "; style-src-attr 'unsafe-inline'"
    return CSP


def add_headers(response):
    """after_request: the headers above; no-store unless the response is a static file
    (or the generated colour stylesheet)."""
    response.headers.setdefault("Content-Security-Policy", policy(request.endpoint))
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint not in CACHEABLE:
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


def init_app(app):
    app.after_request(add_headers)
