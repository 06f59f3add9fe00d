"""Page bodies rendered once per data version (issue 23, "Reports computed once per change").

The dashboard and a task-force page show the same thing to everyone who may read them until a
write changes a figure, a stale flag, a name or a team: their body is rendered once per data
version (services.memo keys it on the version read from the database, so no process shows a
body older than the last committed write) and kept as HTML. The key also holds the query
string, today's date, the app (its settings) and what the caller names (what the person may
see). What differs per person (the 待办督办 and 督办逾期 blocks) is a *slot*: the kept body holds a
marker there, and each request puts in the slot as that person sees it (itself remembered per
version and person where it costs queries: web.supervision.todo).

A marker is an HTML comment with a random token of this process: the body's text escapes every
``<`` it shows, so no stored text can turn into one.
"""
import secrets

from flask import current_app, render_template, request
from markupsafe import Markup

from .. import clock
from ..services import memo

_TOKEN = secrets.token_hex(8)


def _mark(name):
    return Markup(f"<!--slot:{name}:{_TOKEN}-->")


def _app_key():
    """One key per app instance (its settings cannot change while it serves)."""
    return current_app.extensions.setdefault("page_body_key", secrets.token_hex(8))


def body(template, key, context, **slots):
    """The HTML of ``template`` rendered with ``context()`` (called only when the body is not
    remembered), with each slot's marker replaced by its ``slots[name]()``. ``key``: a
    hashable tuple of what else the body depends on (the person's view of it)."""
    marks = {name: _mark(name) for name in slots}
    full = (template, _app_key(), request.script_root,
            tuple(sorted(request.args.items(multi=True))), clock.today(), key)
    html = memo.remembered("page-body", full,
                           lambda: str(render_template(template, slots=marks, **context())))
    for name, render in slots.items():
        html = html.replace(marks[name], str(render()), 1)
    return Markup(html)
