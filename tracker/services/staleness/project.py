"""One project's stale flags kept right inside a ledger write, so the lists are right
before the next daily scan (tracker/services/staleness/flags.py) runs: a dated event is
progress (:func:`progressed`), a project that left the watched stages is no longer chased
(:func:`unwatched`), and a write that moved the last progress earlier (a 作废,
tracker/services/ledger/corrections.py) brings the flag in line (:func:`refresh`).
Each moves the data version (services.dataversion) of the write it is part of: the pages
remembered per version list the open flags."""

from ... import clock
from ...domain import staleness as rules
from ...models import StaleFlag
from .. import dataversion
from .flags import StaleOptions

CORRECTED = "corrected"


def wanted(project, as_of, options=None):
    """(level, silence start, since) the project should be flagged with, or None
    (``options``: StaleOptions, the defaults when left out)."""
    options = options or StaleOptions()
    if not rules.is_watched(project.stage):
        return None
    reference = project.last_progress_on
    if reference is None and project.created_at is not None:
        reference = clock.to_local(project.created_at, options.zone).date()
    if reference is None:
        return None
    level, since = rules.assess(reference, as_of, options.thresholds)
    return (level, reference, since) if level else None


def refresh(project, as_of, options=None):
    """Clear the project's open flags that no longer fit, and open (or reopen) the one
    that does; call inside the write's transaction, after the project row is locked."""
    want = wanted(project, as_of, options)
    dataversion.changed()
    open_flags = list(StaleFlag.select().where((StaleFlag.project == project.id)
                                               & StaleFlag.cleared_on.is_null()))
    for flag in open_flags:
        if want and (flag.level, clock.as_date(flag.last_progress_on)) == want[:2]:
            want = None  # already open
            continue
        flag.cleared_on, flag.cleared_reason = as_of, CORRECTED
        flag.save(only=[StaleFlag.cleared_on, StaleFlag.cleared_reason])
    if want is None:
        return
    level, reference, since = want
    earlier = StaleFlag.get_or_none((StaleFlag.project == project.id) & (StaleFlag.level == level)
                                    & (StaleFlag.last_progress_on == reference))
    if earlier is not None:  # raised before for this same silence: reopen it
        earlier.cleared_on, earlier.cleared_reason = None, ""
        earlier.save(only=[StaleFlag.cleared_on, StaleFlag.cleared_reason])
    else:
        StaleFlag.create(project=project.id, level=level, last_progress_on=reference,
                         since=since, raised_on=as_of)


def progressed(project, on):
    """A dated event is progress: last_progress_on only moves later, and the stale
    flags of the silence it ends are cleared (the nightly scan re-raises them if the
    project is still silent)."""
    if on is None or (project.last_progress_on is not None and on <= project.last_progress_on):
        return []
    project.last_progress_on = on
    dataversion.changed()
    (StaleFlag.update(cleared_on=clock.today(), cleared_reason="progress")
     .where((StaleFlag.project == project.id) & StaleFlag.cleared_on.is_null()
            & (StaleFlag.last_progress_on < on))
     .execute())
    return ["last_progress_on"]


def unwatched(project):
    """A project that left the watched stages (landed or 退库) is no longer chased: its
    open flags are cleared at once (as the nightly scan would, reason "closed"), so an
    open flag always belongs to a watched project (the dashboard counts rely on it)."""
    if not rules.is_watched(project.stage):
        dataversion.changed()
        (StaleFlag.update(cleared_on=clock.today(), cleared_reason="closed")
         .where((StaleFlag.project == project.id) & StaleFlag.cleared_on.is_null())
         .execute())
