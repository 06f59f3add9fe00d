"""Daily staleness scan and the list of stale projects with their owners.

The scan keeps at most one open StaleFlag per project, at the level its
silence has reached on the scan date (tracker.domain.staleness): escalation
clears the milder flag ("escalated") and opens the next; new progress or a
project leaving the watched stages clears it ("progress" / "closed").
Re-running a scan for the same date changes nothing.

A project's silence starts at its last_progress_on, or at the (local) day it
was created when it has never logged progress.

Settings: STALE_DAYS and TIMEZONE (defaults in tracker.config.Defaults).
``options_from(config)`` gives a frozen StaleOptions; the edge builds it from the app's
config (tracker.settings.stale) and ``scan`` takes it as ``options`` (the defaults
when left out).
"""
import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from peewee import JOIN, fn

from ... import clock
from ...config import setting
from ...domain import staleness
from ...models import Project, StaleFlag, TaskForce, User
from .. import dataversion, memo, tx
from ..pagination import page_of

ESCALATED = "escalated"
PROGRESS = "progress"
CLOSED = "closed"


@dataclass(frozen=True)
class StaleOptions:
    """Days at which each level starts, and the zone giving creation dates."""
    thresholds: staleness.Thresholds = staleness.DEFAULT
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(clock.DEFAULT_TZ))


def options_from(config):
    """StaleOptions from a config mapping: STALE_DAYS = (yellow, red, propose_drop)
    and TIMEZONE (missing settings: tracker.config.Defaults)."""
    return StaleOptions(thresholds=staleness.Thresholds.from_config(setting(config, "STALE_DAYS")),
                        zone=clock.zone_from(config))


def thresholds(config):
    """Thresholds of a config mapping."""
    return options_from(config).thresholds


@dataclass(frozen=True)
class ScanResult:
    as_of: datetime.date
    raised: dict  # level -> flags opened by this scan
    cleared: int
    open: dict  # level -> open flags after the scan

    def summary(self):
        opened = "，".join(f"{staleness.label(lv)} {n}" for lv, n in self.raised.items() if n)
        current = "，".join(f"{staleness.label(lv)} {n}" for lv, n in self.open.items())
        return (f"截至 {self.as_of.isoformat()}：新增 {opened or '0'}；解除 {self.cleared}；"
                f"当前 {current}")


def _reference(last_progress_on, created_at, zone):
    if last_progress_on is not None:
        return last_progress_on
    return clock.to_local(created_at, zone).date() if created_at else None


def _candidates(as_of, options):
    """{project id: (level, since, reference)} for watched projects silent long
    enough at ``as_of`` for a flag."""
    limits = options.thresholds
    cutoff = as_of - datetime.timedelta(days=limits.yellow)
    # created_at is UTC; one day of slack covers the zone offset, the exact
    # local date is checked in Python below.
    created_cutoff = datetime.datetime.combine(cutoff + datetime.timedelta(days=1),
                                               datetime.time())
    query = (Project
             .select(Project.id, Project.last_progress_on, Project.created_at)
             .where(Project.stage.in_(staleness.WATCHED_STAGES)
                    & ((Project.last_progress_on <= cutoff)
                       | (Project.last_progress_on.is_null()
                          & (Project.created_at < created_cutoff))))
             .tuples())
    out = {}
    for pid, last, created in query:
        reference = _reference(last, created, options.zone)
        if reference is None:
            continue
        level, since = staleness.assess(reference, as_of, limits)
        if level is not None:
            out[pid] = (level, since, reference)
    return out


# Ids / rows per statement: well under every backend's bound-parameter limit.
CHUNK = 500


def _chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def scan(as_of, options=None):
    """Bring the open stale flags in line with ``as_of``; returns a ScanResult.
    ``options``: StaleOptions (default: the defaults).

    A fixed number of statements whatever the ledger size (up to chunking):
    one query of candidate projects, one of open flags, one for the stage of
    flagged projects that are no longer candidates, one for earlier flags of
    the same silences, then grouped UPDATEs and a bulk INSERT in one transaction.
    """
    options = options or StaleOptions()
    with tx.write():
        wanted = _candidates(as_of, options)
        open_now = {pid: (fid, level, clock.as_date(last)) for fid, pid, level, last in (
            StaleFlag.select(StaleFlag.id, StaleFlag.project, StaleFlag.level,
                             StaleFlag.last_progress_on)
            .where(StaleFlag.cleared_on.is_null()).tuples())}
        cleared = _clear_outdated(open_now, wanted, as_of)
        raised = _raise_wanted(open_now, wanted, as_of)
        if cleared or any(raised.values()):
            dataversion.changed()   # the pages remembered per version list the open flags
    counts = {level: 0 for level in staleness.LEVELS}
    for level, n in (StaleFlag.select(StaleFlag.level, fn.COUNT(StaleFlag.id))
                     .where(StaleFlag.cleared_on.is_null())
                     .group_by(StaleFlag.level).tuples()):
        counts[level] = counts.get(level, 0) + n
    return ScanResult(as_of=as_of, raised=raised, cleared=cleared, open=counts)


def _clear_outdated(open_now, wanted, as_of):
    """Clear the open flags (``open_now``: {project id: (flag id, level, silence
    start)}) that no longer match ``wanted``, each with its reason; returns how many."""
    watched = _watched([pid for pid in open_now if pid not in wanted])
    to_clear = {ESCALATED: [], PROGRESS: [], CLOSED: []}
    for pid, (fid, level, last) in open_now.items():
        want = wanted.get(pid)
        if want and (level, last) == (want[0], want[2]):
            continue
        if want and want[2] == last:
            reason = ESCALATED
        elif want is None and pid not in watched:
            reason = CLOSED
        else:
            reason = PROGRESS
        to_clear[reason].append(fid)
    for reason, ids in to_clear.items():
        for chunk in _chunks(ids):
            (StaleFlag.update(cleared_on=as_of, cleared_reason=reason)
             .where(StaleFlag.id.in_(chunk)).execute())
    return sum(len(ids) for ids in to_clear.values())


def _raise_wanted(open_now, wanted, as_of):
    """Open the wanted flags not open yet: reopen an earlier flag of the same
    silence, else insert one. Returns {level: flags raised}."""
    raised = {level: 0 for level in staleness.LEVELS}
    to_raise = {pid: want for pid, want in wanted.items()
                if pid not in open_now or open_now[pid][1:] != (want[0], want[2])}
    earlier = _earlier_flags(to_raise)
    reopen, create = [], []
    for pid, (level, since, reference) in to_raise.items():
        existing = earlier.get((pid, level, reference))
        if existing:  # raised before for this same silence: reopen it
            reopen.append(existing)
        else:
            create.append((pid, level, reference, since, as_of))
        raised[level] += 1
    for chunk in _chunks(reopen):
        (StaleFlag.update(cleared_on=None, cleared_reason="")
         .where(StaleFlag.id.in_(chunk)).execute())
    fields = [StaleFlag.project, StaleFlag.level, StaleFlag.last_progress_on,
              StaleFlag.since, StaleFlag.raised_on]
    for chunk in _chunks(create, CHUNK // len(fields)):
        StaleFlag.insert_many(chunk, fields=fields).execute()
    return raised


def _watched(project_ids):
    """The ids among ``project_ids`` of projects in a watched stage."""
    out = set()
    for chunk in _chunks(project_ids):
        out.update(pid for pid, in Project.select(Project.id).where(
            Project.id.in_(chunk) & Project.stage.in_(staleness.WATCHED_STAGES)).tuples())
    return out


def _earlier_flags(wanted):
    """{(project id, level, last_progress_on): flag id} of the cleared flags that
    match a wanted (level, silence) of the projects in ``wanted``."""
    out = {}
    for chunk in _chunks(wanted):
        query = (StaleFlag.select(StaleFlag.id, StaleFlag.project, StaleFlag.level,
                                  StaleFlag.last_progress_on)
                 .where(StaleFlag.project.in_(chunk) & StaleFlag.cleared_on.is_null(False))
                 .tuples())
        for fid, pid, level, last in query:
            key = (pid, level, clock.as_date(last))
            want = wanted[pid]
            if (want[0], want[2]) == key[1:]:
                out[key] = fid
    return out


@dataclass(frozen=True)
class StaleProject:
    """One open flag, ready for the dashboard, task-force page and weekly mail."""
    project_id: int
    project_name: str
    stage: str
    task_force_id: int
    task_force_code: str
    task_force_name: str
    owner_id: int | None
    owner_name: str
    owner_email: str
    level: str
    since: datetime.date
    last_progress_on: datetime.date
    days_silent: int

    @property
    def level_label(self):
        return staleness.label(self.level)

    @property
    def css_status(self):
        return staleness.CSS_STATUS.get(self.level, "grey")


def _flag_query(columns, task_force_ids=None, levels=None):
    """Open flags still meaning "stale" now, optionally limited to task forces
    and levels, selecting ``columns``."""
    query = (StaleFlag.select(*columns)
             .join(Project, on=(StaleFlag.project == Project.id))
             .where(StaleFlag.cleared_on.is_null()
                    # progress logged or the project landed since the last scan:
                    # no longer stale, even before the next scan clears the flag
                    & (Project.last_progress_on.is_null()
                       | (Project.last_progress_on <= StaleFlag.last_progress_on))
                    & Project.stage.in_(staleness.WATCHED_STAGES)))
    if task_force_ids is not None:
        query = query.where(Project.task_force.in_(list(task_force_ids)))
    if levels:
        query = query.where(StaleFlag.level.in_(list(levels)))
    return query


def open_flags(task_force_ids=None, as_of=None, levels=None, limit=None, offset=0,
               counts=None):
    """Open stale flags, most severe first, then longest silent first.

    Flags of projects that progressed or landed after the last scan are left
    out at once (the next scan clears them).

    ``task_force_ids`` limits to those task forces; ``levels`` to some levels;
    ``limit``/``offset`` to one page of that order; ``days_silent`` is counted to
    ``as_of`` (default today). A page is read level by level, most severe first, each
    in the order of the index (cleared_on, level, last_progress_on, project_id), so it
    costs its own rows however many flags are open; ``counts`` (open_counts of the same
    scope) lets it skip whole levels before ``offset``.
    """
    as_of = as_of or clock.today()
    if limit is None:
        return [_stale_project(row, as_of) for level in _severe_first(levels)
                for row in _listed(task_force_ids, level).dicts()][offset:]
    if offset and counts is None:
        counts = open_counts(task_force_ids, levels)
    rows = []
    for level in _severe_first(levels):
        if len(rows) >= limit:
            break
        if offset and offset >= counts.get(level, 0):   # the whole level lies before
            offset -= counts.get(level, 0)
            continue
        query = _listed(task_force_ids, level).limit(limit - len(rows)).offset(offset)
        rows.extend(_stale_project(row, as_of) for row in query.dicts())
        offset = 0
    return rows


def _severe_first(levels=None):
    return [lv for lv in reversed(staleness.LEVELS) if not levels or lv in levels]


def _listed(task_force_ids, level):
    """One level's open flags with their project, task force and owner, in list order."""
    return (_flag_query(
        (StaleFlag.level, StaleFlag.since, StaleFlag.last_progress_on,
         Project.id.alias("project_id"), Project.name.alias("project_name"),
         Project.stage.alias("stage"), TaskForce.id.alias("task_force_id"),
         TaskForce.code.alias("task_force_code"),
         TaskForce.name.alias("task_force_name"), User.id.alias("owner_id"),
         User.display_name.alias("owner_display"),
         User.username.alias("owner_username"), User.email.alias("owner_email")),
        task_force_ids, [level])
        .join(TaskForce, on=(Project.task_force == TaskForce.id))
        .join(User, join_type=JOIN.LEFT_OUTER, on=(Project.owner == User.id))
        # cleared_on (all NULL) and level (one) order nothing; named, the order is
        # the index's, which PostgreSQL then walks (IS NULL is no equality to it)
        .order_by(StaleFlag.cleared_on, StaleFlag.level, StaleFlag.last_progress_on,
                  StaleFlag.project))


def _stale_project(row, as_of):
    display, username = row.pop("owner_display"), row.pop("owner_username")
    row["owner_name"] = display or username or ""
    row["owner_email"] = row["owner_email"] or ""
    row["since"] = clock.as_date(row["since"])
    row["last_progress_on"] = clock.as_date(row["last_progress_on"])
    row["days_silent"] = staleness.days_silent(row["last_progress_on"], as_of)
    return StaleProject(**row)


def open_page(task_force_ids=None, level=None, as_of=None, page=1, per_page=50):
    """One page of :func:`open_flags` (one level or all) and the open counts per level."""
    counts = open_counts(task_force_ids)
    total = counts[level] if level else sum(counts.values())
    levels = [level] if level else None
    found = page_of(lambda limit, offset: open_flags(task_force_ids, as_of, levels, limit, offset,
                                                     counts), total, page, per_page)
    return found, counts


def open_counts(task_force_ids=None, levels=None):
    """{level: number of open flags} (every level, mildest first), of all task forces
    or of ``task_force_ids``: the flags open_flags lists, counted from the open flags
    alone (the index on (cleared_on, level, ...) covers it; the projects are only
    asked which task force they belong to). The same number, as a write that logs
    progress or takes a project out of the watched stages clears its open flags in its
    transaction (services.ledger.projects) and a 更正 refreshes them (services.staleness.project)."""
    counts = {level: 0 for level in staleness.LEVELS}
    query = (StaleFlag.select(StaleFlag.level, fn.COUNT(StaleFlag.id))
             .where(StaleFlag.cleared_on.is_null()))
    if task_force_ids is not None:
        query = query.where(StaleFlag.project.in_(
            Project.select(Project.id).where(Project.task_force.in_(list(task_force_ids)))))
    if levels:
        query = query.where(StaleFlag.level.in_(list(levels)))
    for level, n in query.group_by(StaleFlag.level).tuples():
        counts[level] = counts.get(level, 0) + n
    return counts


def open_counts_by_team(level):
    """{task force code: open flags of ``level``}: one grouped count (the 通报's 建议退库)."""
    query = (StaleFlag.select(TaskForce.code, fn.COUNT(StaleFlag.id))
             .join(Project, on=(StaleFlag.project == Project.id))
             .join(TaskForce, on=(Project.task_force == TaskForce.id))
             .where(StaleFlag.cleared_on.is_null() & (StaleFlag.level == level))
             .group_by(TaskForce.code))
    return {code: int(n) for code, n in query.tuples()}


@dataclass(frozen=True)
class StaleOverview:
    """The worst open flags and how many there are per level."""
    rows: list          # StaleProject, at most the limit asked for
    counts: dict        # level -> open flags

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def truncated(self):
        return self.total > len(self.rows)

    def by_level(self):
        """[(level, label, css status, count)] from the most severe down."""
        return [(level, staleness.label(level), staleness.CSS_STATUS.get(level, "grey"),
                 self.counts.get(level, 0)) for level in reversed(staleness.LEVELS)]


def worst_flags(task_force_ids=None, as_of=None, limit=20):
    """StaleOverview: the ``limit`` most severe / longest silent open flags and
    the count per level (two queries, whatever the number of flags), remembered per data
    version (services.memo): every write of a flag, of a project, of a task force's or a
    user's name moves it (scan, services.staleness.project, ledger, taskforces, accounts).
    The overview is shared: read it, never change it."""
    as_of = as_of or clock.today()
    teams = None if task_force_ids is None else tuple(sorted(task_force_ids))

    def compute():
        counts = open_counts(teams)
        return StaleOverview(rows=open_flags(teams, as_of=as_of, limit=limit, counts=counts),
                             counts=counts)
    return memo.remembered("stale-overview", (teams, as_of, limit), compute)


