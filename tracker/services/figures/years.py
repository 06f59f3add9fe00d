"""Maintained ``project_year`` rows (tracker/models/project_years.py): the years in which
a project was created (local time), first reached a milestone, or had a counted stage
event, receipt or 增资 — exactly ``services.ledger.listing.year_condition``. The ledger's 年度
filter reads them instead of testing every project against the condition.

Write path: every write that adds, moves or voids a dated row of a project calls
``sync(project_id)`` in its transaction, after the project row is locked and the rows are
written (next to ``figures.settle``); the bulk import calls ``add_created(created)``.
The nightly recompute calls ``rebuild()`` (every row from the ledger, drift reported)."""
import datetime

from peewee import Cast, Value, fn

from ... import clock
from ...db import backend_name
from ...domain import pipeline
from ...models import CapitalIncrease, FundReceipt, Project, StageEvent
from ...models.project_years import ProjectYear
from ..rows import insert_rows

CHUNK = 500


def _year(column):
    """The year of a date column, as an integer, in this backend's SQL."""
    kind = backend_name()
    if kind == "sqlite":
        return Cast(fn.strftime("%Y", column), "INTEGER")
    if kind == "mysql":
        return fn.YEAR(column)
    return Cast(fn.date_part("year", column), "INTEGER")


def created_years(created_at, zone=None):
    """Years whose local [Jan 1 00:00, next Jan 1 00:00] (both ends, as BETWEEN) hold
    ``created_at`` (naive UTC): one, or two at the exact instant of a new year. ``zone``:
    the app's (read once by a caller that asks for many)."""
    zone = zone or clock.zone()
    local = created_at.replace(tzinfo=datetime.timezone.utc).astimezone(zone)
    years = {local.year}
    if local.month == 1 and local.day == 1 and \
            created_at == clock.local_midnight_utc(datetime.date(local.year, 1, 1), zone):
        years.add(local.year - 1)
    return years


def _dated_parts(project_ids=None):
    """SELECT (project id, year) of every first-reached date and counted event."""
    parts = []
    for field in pipeline.FIRST_REACHED_FIELD.values():
        column = getattr(Project, field)
        parts.append(Project.select(Project.id, _year(column)).where(column.is_null(False)))
    for model, day in ((StageEvent, StageEvent.occurred_on),
                       (FundReceipt, FundReceipt.received_on),
                       (CapitalIncrease, CapitalIncrease.occurred_on)):
        parts.append(model.select(model.project, _year(day)).where(model.counted()))
    if project_ids is not None:
        parts = [p.where((p.model.project if p.model is not Project else Project.id)
                         .in_(project_ids)) for p in parts]
    return parts


def _created_parts():
    """SELECT (project id, year) of the creation instants, one part per year."""
    low, high = Project.select(fn.MIN(Project.created_at), fn.MAX(Project.created_at)).scalar(
        as_tuple=True)
    if low is None:
        return []
    low, high = (created_at_of(v) for v in (low, high))
    parts = []
    for year in range(min(created_years(low)), max(created_years(high)) + 1):
        start = clock.local_midnight_utc(datetime.date(year, 1, 1))
        end = clock.local_midnight_utc(datetime.date(year + 1, 1, 1))
        parts.append(Project.select(Project.id, Value(year)).where(
            Project.created_at.between(start, end)))
    return parts


def created_at_of(value):
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))   # SQLite aggregates give text


def _union(parts):
    query = parts[0]
    for part in parts[1:]:
        query = query | part   # UNION: distinct pairs
    return query


def years_of(project_ids):
    """{project id: set of years} computed from the ledger (the created part included)."""
    out = {pid: set() for pid in project_ids}
    for start in range(0, len(project_ids), CHUNK):
        chunk = project_ids[start:start + CHUNK]
        for pid, year in _union(_dated_parts(chunk)).tuples():
            out[pid].add(int(year))
        for pid, created in Project.select(Project.id, Project.created_at).where(
                Project.id.in_(chunk)).tuples():
            out[pid] |= created_years(created_at_of(created))
    return out


def _insert(pairs):
    insert_rows(ProjectYear, [{"project": project, "year": year} for project, year in sorted(pairs)])


def sync(project_id):
    """Make the project's rows equal to its years; call in the write's transaction."""
    want = years_of([project_id])[project_id]
    have = set(ProjectYear.select(ProjectYear.year)
               .where(ProjectYear.project == project_id).tuples())
    have = {y for (y,) in have}
    if have - want:
        ProjectYear.delete().where((ProjectYear.project == project_id)
                                   & ProjectYear.year.in_(sorted(have - want))).execute()
    _insert((project_id, y) for y in want - have)


def add_created(created):
    """Rows of projects created in this transaction (bulk import; ids assigned): ``created``
    is [(project, its stage events' dates)]. A new project has no receipt or 增资 yet, so its
    years are those of its creation, its first-reached dates and its stage events, taken
    from what was just written instead of read back (``years_of`` gives the same)."""
    pairs, zone = set(), clock.zone()
    for project, days in created:
        found = created_years(created_at_of(project.created_at), zone)
        found |= {day.year for day in project.first_reached().values() if day is not None}
        found |= {day.year for day in days}
        pairs |= {(project.id, year) for year in found}
    _insert(pairs)


def stored():
    return set(ProjectYear.select(ProjectYear.project, ProjectYear.year).tuples())


def expected():
    parts = _dated_parts() + _created_parts()
    return {(pid, int(y)) for pid, y in _union(parts).tuples()} if parts else set()


def rebuild():
    """Replace every row by what the ledger gives; call inside a transaction.
    Returns (rows now, rows before)."""
    have = ProjectYear.select(fn.COUNT(ProjectYear.id)).scalar()
    ProjectYear.delete().execute()
    parts = _dated_parts() + _created_parts()
    if parts:
        ProjectYear.insert_from(_union(parts), [ProjectYear.project, ProjectYear.year]).execute()
    now = ProjectYear.select(fn.COUNT(ProjectYear.id)).scalar()
    return now, have
