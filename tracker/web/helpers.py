"""Template filters and globals shared by every page."""
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import iter_multi_items

from .. import clock
from ..domain import closed_periods, money, pipeline, staleness
from ..domain import progress as P

# (endpoint, label, roles or None for everyone logged in)
NAV = [
    ("dashboard.index", "进度看板", None),
    ("projects.ledger", "项目台账", None),
    ("taskforces.index", "招商专班", None),
    ("counties.index", "区县/开发区", None),
    ("targets.index", "目标设置", ("admin", "bureau")),
    ("outbox.index", "周报发件箱", ("admin", "bureau")),
    ("robots.index", "群机器人", ("admin", "bureau", "lead")),
    ("awards.index", "落地成效", None),
    ("bulletin.index", "通报", None),
    ("imports.index", "Excel导入", None),
    ("activities.index", "跟进记录", None),
    ("corrections.index", "更正申请", None),
    ("supervision.index", "督办", None),
    ("audit.index", "审计日志", ("admin", "bureau")),
    ("prefs.summary", "周报与提醒设置", None),
    ("accounts.me", "我的账号", None),
]


def nav_items():
    """Main navigation: the entries the current user may open."""
    role = getattr(current_user, "role", None)
    return [(endpoint, text) for endpoint, text, roles in NAV if roles is None or role in roles]


class IdUrl:
    """The URL of ``endpoint`` for any id, built once per page: ``IdUrl(...)(42)`` is
    ``url_for(endpoint, <name>=42)`` for a route whose last part is the id (a list's rows
    link to their pages without a url_for each)."""
    PROBE = 2**31 - 1

    def __init__(self, endpoint, name, **values):
        probe = url_for(endpoint, **{name: self.PROBE}, **values)
        prefix, found, rest = probe.rpartition(str(self.PROBE))
        if not found or rest:
            raise ValueError(f"{endpoint}: {name} is not the last part of {probe}")
        self.prefix = prefix

    def __call__(self, ident):
        return f"{self.prefix}{int(ident)}"


class QueryUrl:
    """``url_for(endpoint, **args)`` of an endpoint without path arguments, its path built
    once per page: a list's sort, filter and page links (~20 a page) only encode their
    query string. Encoded as werkzeug's URL builder does (None values left out)."""
    SAFE = "!$'()*,/:;?@"   # werkzeug.urls._urlencode

    def __init__(self, endpoint):
        self.path = url_for(endpoint)

    def __call__(self, **args):
        query = urlencode([item for item in iter_multi_items(args) if item[1] is not None],
                          safe=self.SAFE)
        return f"{self.path}?{query}" if query else self.path


class Fragments:
    """A partial template rendered once per process for each key (and script root): the
    key must name everything the partial shows, and the partial must use only the
    variables it is given. Bounded: cleared when full."""

    def __init__(self, template, limit=256):
        self.template, self.limit, self._html = template, limit, {}

    def render(self, key, **context):
        if key is None:                 # a state that cannot be a key: rendered each time
            return Markup(render_template(self.template, **context))
        key = (key, request.script_root)
        html = self._html.get(key)
        if html is None:
            if len(self._html) >= self.limit:
                self._html.clear()
            html = self._html[key] = Markup(render_template(self.template, **context))
        return html


_NAV = Fragments("_nav.html")


def nav_html():
    """The main menu's links (templates/_nav.html) for the current user's role and the
    current area, rendered once per process for each of them."""
    area = request.endpoint.split(".")[0] if request.endpoint else None
    return _NAV.render((getattr(current_user, "role", None), area), items=nav_items(),
                       area=area)


def localtime(dt, fmt="%Y-%m-%d %H:%M"):
    return clock.to_local(dt).strftime(fmt) if dt else ""


def status_colour_map():
    """{status: "#rrggbb"} from the one definition (the mail's macros use it)."""
    return {status: P.css_colour(status) for status in P.STATUSES}


def status_label_map():
    return dict(P.STATUS_LABELS)


def stale_mark(level):
    """The mark of a stale level (◔ ◕ ⊘), for every page that lists stale projects."""
    return staleness.mark(level)


def init_app(app):
    """Filters and globals of every template, the mails' included (they render outside
    any blueprint: the weekly job, the CLI)."""
    app.jinja_env.filters.update(wan=money.fmt_wan, yi=money.fmt_yi,
                                 stage_label=pipeline.label, localtime=localtime,
                                 stale_label=staleness.label, quarter_name=closed_periods.quarter_name)
    app.jinja_env.globals.update(stage_choices=pipeline.choices, today=clock.today,
                                 nav_items=nav_items, nav_html=nav_html,
                                 status_colour_map=status_colour_map,
                                 status_label_map=status_label_map, stale_mark=stale_mark)
