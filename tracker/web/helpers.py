"""Template filters and globals shared by every page."""
from flask import url_for
from flask_login import current_user

from .. import clock
from ..domain import money, pipeline, staleness

# (endpoint, label, roles or None for everyone logged in)
NAV = [
    ("dashboard.index", "进度看板", None),
    ("projects.ledger", "项目台账", None),
    ("taskforces.index", "招商专班", None),
    ("counties.index", "区县/开发区", None),
    ("targets.index", "目标设置", ("admin", "bureau")),
    ("outbox.index", "周报发件箱", ("admin", "bureau")),
    ("awards.index", "落地成效", None),
    ("bulletin.index", "通报", ("admin", "bureau")),
    ("imports.index", "Excel导入", None),
    ("audit.index", "审计日志", ("admin", "bureau")),
    ("prefs.summary", "周报设置", None),
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


def localtime(dt, fmt="%Y-%m-%d %H:%M"):
    return clock.to_local(dt).strftime(fmt) if dt else ""


def init_app(app):
    app.jinja_env.filters.update(wan=money.fmt_wan, yi=money.fmt_yi,
                                 stage_label=pipeline.label, localtime=localtime,
                                 stale_label=staleness.label)
    app.jinja_env.globals.update(stage_choices=pipeline.choices, today=clock.today,
                                 nav_items=nav_items)
