"""The settings the services take as arguments, read from the app's config here and nowhere
else (tracker/config.py holds the defaults; this module turns a configured app into option
objects). The views, the CLI commands and the scheduled jobs (tracker/jobs.py) call these
and hand the result down; the services never read the app (docs/design.md, Layout).

Each function takes the app (default: the current one) and returns what the service's own
pure builder (``*_from(config)``) makes of its config; the defaults are tracker.config.Defaults.
"""
from flask import current_app

from .services.accounts.prune import retention_from
from .services.accounts.sessions import policy_from
from .services.accounts.throttle import limits_from
from .services.accounts.users import hash_method_from, password_min_score_from
from .services.awards.ranking import weights_from
from .services.links import Links
from .services.mail.settings import MailSettings, signer_from
from .services.progress.options import options_from as progress_from
from .services.staleness.flags import options_from as stale_from
from .services.targets.entry import floor_from


def _app(app):
    return current_app if app is None else app


def progress(app=None):
    """ProgressOptions: how progress is judged (PROGRESS_*, FORECAST_*, COUNTY_GROWTH_GOAL,
    RANKING_CAP_PCT)."""
    return progress_from(_app(app).config)


def activity_weights(app=None):
    """The 招商活跃指数 weights: ACTIVITY_WEIGHTS as a plain dict."""
    return dict(_app(app).config["ACTIVITY_WEIGHTS"])


def activity_regions(app=None):
    """The follow-up log's target regions: ACTIVITY_REGIONS, as a tuple."""
    return tuple(_app(app).config["ACTIVITY_REGIONS"])


def stale(app=None):
    """StaleOptions: STALE_DAYS and TIMEZONE."""
    return stale_from(_app(app).config)


def award_weights(app=None):
    """AWARD_WEIGHTS (checked by the ranking that uses them)."""
    return weights_from(_app(app).config)


def target_floor(app=None):
    """TARGET_FLOOR_YI as 万元."""
    return floor_from(_app(app).config)


def session_policy(app=None):
    """sessions.Policy: SESSION_IDLE_MINUTES, REMEMBER_COOKIE_DURATION."""
    return policy_from(_app(app).config)


def login_limits(app=None):
    """throttle.Limits: LOGIN_* ."""
    return limits_from(_app(app).config)


def hash_method(app=None):
    """PASSWORD_HASH_METHOD (None: werkzeug's default)."""
    return hash_method_from(_app(app).config)


def password_min_score(app=None):
    """PASSWORD_MIN_SCORE: the least strength (zxcvbn 0-4) a new password must have."""
    return password_min_score_from(_app(app).config)


def account_retention(app=None):
    """prune.Retention: LOGIN_ATTEMPT_KEEP_DAYS, ENDED_SESSION_KEEP_DAYS."""
    return retention_from(_app(app).config)


def links(app=None):
    """services.links.Links: BASE_URL and the app's routes, usable outside requests."""
    app = _app(app)
    return Links(app.config.get("BASE_URL", ""), app.url_map.bind("localhost").build)


def unsubscribe_signer(app=None):
    """unsubscribe.Signer: SECRET_KEY and UNSUBSCRIBE_MAX_AGE_DAYS."""
    return signer_from(_app(app).config)


def mail(app=None):
    """MailSettings: MAIL_*, with the links, the unsubscribe signer and the progress
    options the summaries use."""
    app = _app(app)
    return MailSettings.from_config(app.config, app.instance_path, links=links(app))
