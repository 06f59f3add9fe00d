"""Stale projects: how long a project has gone without logged progress.

No progress for 60 days = 60天未推进 (key yellow), 90 days = 90天未推进 (red), 180 days
= 建议退库 (propose_drop) (docs/design.md, Stale projects). Pure rules: no Flask, no peewee.
"""
import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from . import pipeline

YELLOW = "yellow"
RED = "red"
PROPOSE_DROP = "propose_drop"

# Mildest first; a project climbs this ladder while it stays silent.
LEVELS = (YELLOW, RED, PROPOSE_DROP)

# Names shown for the levels (docs/design.md, Stale projects): never colour words, since
# the colours already mean 超/欠进度 (domain.progress). The day counts are the defaults;
# label(level, thresholds) names configured ones.
LABELS = {
    YELLOW: "60天未推进",
    RED: "90天未推进",
    PROPOSE_DROP: "建议退库",
}

# Marks shown before the name: shapes, not the progress colours.
MARKS = {YELLOW: "◔", RED: "◕", PROPOSE_DROP: "⊘"}

# CSS classes of static/style.css that show a level (.stale-mark.stale-60 ...): outlined
# and dark marks, never the status colours. A mail client without them shows a grey chip.
CSS_STATUS = {YELLOW: "stale-60", RED: "stale-90", PROPOSE_DROP: "stale-drop"}

# Projects that have landed (投产/达产) or left (退库) are not chased for progress.
WATCHED_STAGES = (pipeline.RESERVE, pipeline.PACKAGED, pipeline.NEGOTIATING,
                  pipeline.SIGNED, pipeline.STARTED)


@dataclass(frozen=True)
class Thresholds:
    """Days without progress at which each level starts."""
    yellow: int = 60
    red: int = 90
    propose_drop: int = 180

    def __post_init__(self):
        if not 0 < self.yellow < self.red < self.propose_drop:
            raise ValueError("stale thresholds must grow: 0 < yellow < red < propose_drop")

    @classmethod
    def from_config(cls, value):
        """None (the defaults), a Thresholds, a mapping of the levels' days or a
        sequence (yellow, red, propose_drop), as in the STALE_DAYS setting."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls(**{k: int(v) for k, v in value.items()})
        return cls(*(int(v) for v in value))

    def days(self, level):
        return getattr(self, level)

    def ordered(self):
        """[(level, days)] from the longest silence down."""
        return [(level, self.days(level)) for level in reversed(LEVELS)]


DEFAULT = Thresholds()


def level_for(days_silent, thresholds=DEFAULT):
    """Level reached after ``days_silent`` days without progress, or None."""
    for level, days in thresholds.ordered():
        if days_silent >= days:
            return level
    return None


def days_silent(last_progress_on, as_of):
    """Whole days from the last progress to ``as_of`` (0 when progress is later)."""
    return max((as_of - last_progress_on).days, 0)


def assess(last_progress_on, as_of, thresholds=DEFAULT):
    """(level or None, since) for a project last progressed on ``last_progress_on``.

    ``since`` is the date the level began: the last progress plus the level's
    threshold, so a scan that runs late still reports the true start date.
    """
    level = level_for(days_silent(last_progress_on, as_of), thresholds)
    if level is None:
        return None, None
    return level, last_progress_on + datetime.timedelta(days=thresholds.days(level))


def severity(level):
    """0 for None, then 1, 2, 3 up the ladder (for sorting)."""
    return LEVELS.index(level) + 1 if level in LEVELS else 0


def label(level, thresholds=None):
    """The name of a level; with ``thresholds``, its configured day count."""
    if thresholds is not None and level in (YELLOW, RED):
        return f"{thresholds.days(level)}天未推进"
    return LABELS.get(level, level or "")


def mark(level):
    return MARKS.get(level, "")


def is_watched(stage):
    return stage in WATCHED_STAGES
