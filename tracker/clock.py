"""Local dates and times in the configured zone (Asia/Shanghai by default)."""
import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Shanghai"


def zone():
    name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def now():
    """Aware local datetime."""
    return datetime.datetime.now(zone())


def today():
    return now().date()


def to_local(utc_naive):
    """Stored naive-UTC datetime -> aware local datetime."""
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=datetime.timezone.utc).astimezone(zone())
