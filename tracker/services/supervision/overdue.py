"""督办 where people look (issue 22): the overdue items the weekly mail and the 通报 report (per
team and for the city: how many, the oldest few), and a member's 待办 (their teams' open items,
their own first). Read-only; a day is passed in (the mail judges at its week's day, the 通报 at
the day its numbers are judged, the pages at today). An item closed after that day was still
overdue on it; one reopened (退回) counts as open throughout."""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from peewee import Case

from ... import clock
from ...domain import supervision as rules
from ...models import SupervisionItem, TaskForce

OLDEST = 3   # the oldest items a mail section or a 通报 line names (the rest are counted)


@dataclass(frozen=True)
class Late:
    """One open item past its deadline, as a mail or a 通报 names it."""
    id: int
    title: str
    task_force_id: int
    task_force_name: str
    deadline: datetime.date
    days: int               # days overdue at the day judged
    priority: str = "normal"

    @property
    def priority_label(self):
        return rules.priority_label(self.priority)


@dataclass(frozen=True)
class Overdue:
    """How many items are overdue and the oldest few (oldest deadline first)."""
    count: int = 0
    oldest: tuple = ()

    @property
    def more(self):
        return max(0, self.count - len(self.oldest))


def _open_past(day):
    """Past its deadline at ``day`` and not closed by that day's end: still open, or closed
    later (a mail or 通报 of an earlier day reads the same after the item is 办结)."""
    after = clock.local_midnight_utc(day + datetime.timedelta(days=1))
    return ((SupervisionItem.deadline < day)
            & ((SupervisionItem.state != rules.CLOSED) | (SupervisionItem.closed_at >= after)))


def _late_rows(today, task_force_ids=None):
    query = (SupervisionItem.select(SupervisionItem.id, SupervisionItem.title, SupervisionItem.task_force,
                                    SupervisionItem.deadline, SupervisionItem.priority, TaskForce.id, TaskForce.name)
             .join(TaskForce).where(_open_past(today)))
    if task_force_ids is not None:
        query = query.where(SupervisionItem.task_force.in_(list(task_force_ids) or [0]))
    query = query.order_by(SupervisionItem.deadline, SupervisionItem.id)
    for item in query:
        yield Late(item.id, item.title, item.task_force_id, item.task_force.name, item.deadline,
                   (today - item.deadline).days, item.priority)


def city(today, oldest=OLDEST):
    """Overdue of every team (the bureau's mail, the 通报)."""
    query = SupervisionItem.select().where(_open_past(today))
    count = query.count()
    return Overdue(count, tuple(islice(_late_rows(today), oldest)) if count else ())


def combined(teams, oldest=OLDEST):
    """The city's Overdue from ``by_team``'s (its oldest are among the teams' oldest)."""
    every = sorted((late for o in teams.values() for late in o.oldest), key=lambda x: (x.deadline, x.id))
    return Overdue(sum(o.count for o in teams.values()), tuple(every[:oldest]))


def by_team(today, oldest=OLDEST):
    """{task_force_id: Overdue} of the teams with overdue items (one read for all teams)."""
    counts, firsts = defaultdict(int), defaultdict(list)
    for late in _late_rows(today):
        counts[late.task_force_id] += 1
        if len(firsts[late.task_force_id]) < oldest:
            firsts[late.task_force_id].append(late)
    return {team: Overdue(n, tuple(firsts[team])) for team, n in counts.items()}


@dataclass(frozen=True)
class Todo:
    """A member's 待办督办: their teams' open items (theirs first, then by deadline)."""
    items: list = field(default_factory=list)
    total: int = 0
    overdue: int = 0

    @property
    def more(self):
        return max(0, self.total - len(self.items))


def todo(user, today, limit=10, task_force_id=None):
    """The open (not closed) items of ``user``'s task forces (``task_force_id``: of that one
    only), the ones naming ``user`` as responsible first, then the earliest deadline."""
    teams = user.task_force_ids()
    if task_force_id is not None:
        teams = teams & {task_force_id}
    if not teams:
        return Todo()
    still_open = SupervisionItem.task_force.in_(list(teams)) & (SupervisionItem.state != rules.CLOSED)
    total = SupervisionItem.select().where(still_open).count()
    if not total:
        return Todo()
    mine = Case(None, [(SupervisionItem.responsible == user.id, 0)], 1)
    rows = list(SupervisionItem.select(SupervisionItem, TaskForce).join(TaskForce).where(still_open)
                .order_by(mine, SupervisionItem.deadline, SupervisionItem.id).limit(limit))
    late = SupervisionItem.select().where(still_open & (SupervisionItem.deadline < today)).count()
    return Todo(rows, total, late)


def open_of_team(task_force_id, limit=20):
    """(the open items of a task force, earliest deadline first, at most ``limit``; how many)."""
    scoped = SupervisionItem.select().where((SupervisionItem.task_force == task_force_id)
                                            & (SupervisionItem.state != rules.CLOSED))
    rows = list(scoped.order_by(SupervisionItem.deadline, SupervisionItem.id).limit(limit))
    return rows, (scoped.count() if len(rows) == limit else len(rows))


def of_project(project_id, limit=10):
    """(the 督办 items on a project, open first, then the latest deadline; how many)."""
    scoped = SupervisionItem.select().where(SupervisionItem.project == project_id)
    closed_last = Case(None, [(SupervisionItem.state == rules.CLOSED, 1)], 0)
    rows = list(scoped.order_by(closed_last, SupervisionItem.deadline.desc(), SupervisionItem.id.desc())
                .limit(limit))
    return rows, (scoped.count() if len(rows) == limit else len(rows))
