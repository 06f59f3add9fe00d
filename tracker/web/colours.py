"""``/colours.css``: the status colours as CSS custom properties, generated from the one
definition (tracker.domain.progress.STATUS_COLOURS) that the charts, the mail and the
exports use too, so a page can never show another shade. Linked before style.css; its URL
carries a hash of the content, so it is cached like a static file."""
import hashlib

from flask import Response, request

from ..domain import progress as P
from .permissions import public

CACHE_FOREVER = "public, max-age=31536000, immutable"


def stylesheet():
    rules = " ".join(f"--{status}: #{hex_.lower()};" for status, hex_ in P.STATUS_COLOURS.items())
    return f":root {{ {rules} }}\n"


VERSION = hashlib.sha256(stylesheet().encode("utf-8")).hexdigest()[:12]


@public
def colours_css():
    response = Response(stylesheet(), mimetype="text/css")
    response.headers["Cache-Control"] = (CACHE_FOREVER if request.args.get("v") == VERSION
                                         else "no-cache")
    return response


def init_app(app):
    app.add_url_rule("/colours.css", "colours_css", colours_css)
    app.jinja_env.globals["colours_css_version"] = VERSION
