"""The reminder settings, read once from the app's config at the entry point (the scheduled
job, tracker.jobs.supervision_reminders) and handed to services.reminders, which never reads
the app's config. Defaults: tracker.config.Defaults (REMINDER_*, TIMEZONE)."""
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ... import clock
from ...config import setting
from ...domain import reminders


@dataclass(frozen=True)
class ReminderSettings:
    schedule: reminders.Schedule = reminders.DEFAULT
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(clock.DEFAULT_TZ))   # the day a reply was on


def settings_from(config):
    """ReminderSettings of a config mapping (missing settings: tracker.config.Defaults)."""
    def number(name):
        return int(setting(config, name))

    on_day = setting(config, "REMINDER_ON_DAY")
    if isinstance(on_day, str):      # from a TRACKER_* environment variable
        on_day = on_day.strip().lower() in ("1", "true", "yes", "on")

    schedule = reminders.Schedule(
        before_days=number("REMINDER_BEFORE_DAYS"), on_day=bool(on_day),
        daily_days=number("REMINDER_DAILY_DAYS"), every_days=number("REMINDER_EVERY_DAYS"),
        pause_days=number("REMINDER_PAUSE_DAYS"), nudge_days=number("REMINDER_NUDGE_DAYS"),
        nudge_late_days=number("REMINDER_NUDGE_LATE_DAYS"))
    return ReminderSettings(schedule=schedule, zone=clock.zone_from(config))
