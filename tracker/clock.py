"""Local dates and times in the configured zone (setting TIMEZONE, Asia/Shanghai by default).

``zone()`` reads the current app's config (the default outside an app); code that
already holds the settings resolves the zone once with ``zone_from(config)`` and
passes it to ``now``/``today``/``to_local``.
"""
import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from .config import Defaults

DEFAULT_TZ = Defaults.TIMEZONE


def zone_from(config):
    """ZoneInfo of the TIMEZONE setting in a config mapping."""
    return ZoneInfo(config.get("TIMEZONE") or DEFAULT_TZ)


def zone():
    """The current app's zone (the default zone outside an app context)."""
    try:
        config = current_app.config      # one look-up: a date is judged per cell in an import
    except RuntimeError:                 # outside an app context
        return ZoneInfo(DEFAULT_TZ)
    return zone_from(config)


def now(tz=None):
    """Aware local datetime (in ``tz``, default the configured zone)."""
    return datetime.datetime.now(tz or zone())


def today(tz=None):
    return now(tz).date()


def local_midnight_utc(day, tz=None):
    """Naive-UTC datetime of local midnight at the start of ``day`` (stored timestamps are
    naive UTC)."""
    local = datetime.datetime.combine(day, datetime.time(), tzinfo=tz or zone())
    return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def as_date(value):
    """A date from a stored value: a date, a datetime, ISO text (SQLite gives text for
    dates read through aggregates) or None."""
    if value is None or type(value) is datetime.date:
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    return datetime.date.fromisoformat(str(value)[:10])


def to_local(utc_naive, tz=None):
    """Stored naive-UTC datetime -> aware local datetime (in ``tz``, default the
    configured zone)."""
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=datetime.timezone.utc).astimezone(tz or zone())
