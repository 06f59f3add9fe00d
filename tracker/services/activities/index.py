"""招商活跃指数 (tracker/domain/activity_index.py) kept as maintained weekly counts.

Write path: every write of the follow-up log (services.activities.log) calls :func:`settle`
inside its transaction with the keys the activity counted before and after it; the task
force's row is locked first (the order every ledger write takes: projects, then the task
force), then each ``activity_week`` row is one upsert ``count = count + delta``, in key order.

:func:`check` compares the rows with a count of the whole log; :func:`rebuild` repairs them
(the nightly recompute). :func:`weekly` reads the last weeks for the dashboard: the counts
from these rows, the ledger's outcomes of each week from the projects' first-reached dates
(indexed) and the maintained day figures of 到位资金.
"""
import datetime
from dataclasses import dataclass, field

from peewee import Cast, fn

from ... import clock
from ...db import backend_name
from ...domain import activity_index as rules
from ...domain import figures as F
from ...domain import metrics as M
from ...models import Activity, ActivityWeek, MonthlyFigure, Project, TaskForce
from .. import dataversion, memo, tx

UNIQUE = [ActivityWeek.task_force, ActivityWeek.week_start, ActivityWeek.kind, ActivityWeek.leader_led,
          ActivityWeek.top_tier]


def key_of(activity):
    """The counted key of an activity (None when voided)."""
    if activity is None or activity.voided:
        return None
    return (activity.task_force_id, rules.week_start(activity.occurred_on), activity.kind,
            bool(activity.leader_led), rules.top_tier(activity.tag_list))


def settle(before, after):
    """Move one count from key ``before`` to key ``after`` (either may be None)."""
    deltas = {}
    for key, delta in ((before, -1), (after, 1)):
        if key is not None:
            deltas[key] = deltas.get(key, 0) + delta
    deltas = {k: d for k, d in deltas.items() if d}
    if not deltas:
        return
    dataversion.changed()   # the remembered index (services.memo) is recomputed after the commit
    tx.lock_all(TaskForce.select(TaskForce.id).where(TaskForce.id.in_(sorted({k[0] for k in deltas}))))
    for key, delta in sorted(deltas.items()):
        _upsert(key, delta)


def _upsert(key, delta):
    team, monday, kind, leader, top = key
    query = ActivityWeek.insert(task_force=team, week_start=monday, kind=kind, leader_led=leader,
                                top_tier=top, count=delta)
    target = None if backend_name() == "mysql" else UNIQUE
    query.on_conflict(conflict_target=target, update={ActivityWeek.count: ActivityWeek.count + delta}).execute()


def stored():
    return {(t, clock.as_date(w), k, bool(lead), bool(top)): n for t, w, k, lead, top, n in
            ActivityWeek.select(ActivityWeek.task_force, ActivityWeek.week_start, ActivityWeek.kind,
                                ActivityWeek.leader_led, ActivityWeek.top_tier, ActivityWeek.count).tuples() if n}


def expected():
    out = {}
    query = (Activity.select(Activity.task_force, Activity.occurred_on, Activity.kind, Activity.leader_led,
                             Activity.counterpart_tags).where(Activity.voided_at.is_null()).tuples())
    for team, day, kind, leader, tags in query.iterator():
        key = (team, rules.week_start(clock.as_date(day)), kind, bool(leader),
               rules.top_tier((tags or "").split(",")))
        out[key] = out.get(key, 0) + 1
    return out


def check():
    """[(key, stored, expected)] where the rows and the log disagree."""
    return F.drift(stored(), expected())


def rebuild():
    """Repair every drifted row; inside a transaction, every task force locked first."""
    tx.lock_all(TaskForce.select(TaskForce.id))
    drift = check()
    if drift:
        dataversion.changed()
    for key, got, want in drift:
        _upsert(key, want - got)
    ActivityWeek.delete().where(ActivityWeek.count == 0).execute()
    return drift


# --- reading --------------------------------------------------------------------------

@dataclass
class TeamWeeks:
    team_id: int
    code: str
    name: str
    scores: list = field(default_factory=list)     # one Decimal per week, oldest first
    activities: list = field(default_factory=list)  # activity counts per week

    @property
    def last(self):
        return self.scores[-1] if self.scores else 0

    @property
    def change(self):
        return self.scores[-1] - self.scores[-2] if len(self.scores) > 1 else None

    @property
    def quiet(self):
        return sum(self.activities[-rules.QUIET_WEEKS:]) == 0


def _counts(weeks, team_ids):
    out, wanted = {}, set(team_ids)
    query = (ActivityWeek.select(ActivityWeek.task_force, ActivityWeek.week_start, ActivityWeek.kind,
                                 ActivityWeek.leader_led, ActivityWeek.top_tier, ActivityWeek.count)
             .where(ActivityWeek.week_start.between(weeks[0], weeks[-1])).tuples())
    for team, monday, kind, leader, top, count in query:
        if team in wanted and count:
            bucket = out.setdefault((team, clock.as_date(monday)), {})
            bucket[(kind, bool(leader), bool(top))] = count
    return out


def _months(first, last):
    """The (year, month) pairs from ``first`` to ``last``."""
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append((day.year, day.month))
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return out


def _monday(column):
    """SQL: the Monday of a date column's ISO week (rules.week_start in the database)."""
    kind = backend_name()
    if kind == "sqlite":
        return fn.date(column, "-6 days", "weekday 1")
    if kind == "mysql":
        return fn.SUBDATE(column, fn.WEEKDAY(column))
    return Cast(fn.date_trunc("week", column), "date")


def _outcomes(weeks, team_ids):
    """{(team, Monday): {outcome: n, "funds_wan": 万元}} of the weeks: the first-reached dates
    read through their own indexes (the range alone: the teams are filtered here), counted per
    team and week by the database, and the day rows of the maintained 到位资金 of the months the
    weeks span."""
    out, wanted = {}, set(team_ids)
    first, last = weeks[0], weeks[-1] + datetime.timedelta(days=6)
    for name in rules.OUTCOMES:
        column = getattr(Project, f"{name}_on")
        monday = _monday(column)
        query = (Project.select(Project.task_force, monday, fn.COUNT(Project.id))
                 .where(column.between(first, last)).group_by(Project.task_force, monday).tuples())
        for team, day, n in query:
            if team in wanted:
                bucket = out.setdefault((team, clock.as_date(day)), {})
                bucket[name] = bucket.get(name, 0) + n
    months = None
    for year, month in _months(first, last):
        part = (MonthlyFigure.year == year) & (MonthlyFigure.month == month)
        months = part if months is None else (months | part)
    funds = (MonthlyFigure.select(MonthlyFigure.owner, MonthlyFigure.year, MonthlyFigure.month,
                                  MonthlyFigure.day, MonthlyFigure.cents)
             .where((MonthlyFigure.scope == F.TASK_FORCE) & (MonthlyFigure.metric == M.FUNDS_RECEIVED)
                    & (MonthlyFigure.day != 0) & months).tuples())
    for team, year, month, day, cents in funds:
        on = datetime.date(year, month, day)
        if team in wanted and first <= on <= last:
            bucket = out.setdefault((team, rules.week_start(on)), {})
            bucket["funds_wan"] = bucket.get("funds_wan", 0) + F.from_cents(cents)
    return out


def weekly(today, weights, teams):
    """[TeamWeeks] of ``teams`` ((id, code, name) each) over the complete weeks before
    ``today``'s, ranked by the last week's score (then code), and the weeks' Mondays;
    computed once per data version (every write of the log and the ledger moves it)."""
    key = (today, tuple(sorted(weights.items())), tuple(teams))
    return memo.remembered("activity_index", key, lambda: _weekly(today, weights, teams))


def _weekly(today, weights, teams):
    weeks = rules.last_complete_weeks(today)
    ids = [t[0] for t in teams] or [0]
    counts, outcomes = _counts(weeks, ids), _outcomes(weeks, ids)
    rows = []
    for team_id, code, name in teams:
        row = TeamWeeks(team_id, code, name)
        for monday in weeks:
            got = counts.get((team_id, monday), {})
            row.scores.append(rules.score(got, outcomes.get((team_id, monday), {}), weights))
            row.activities.append(sum(got.values()))
        rows.append(row)
    rows.sort(key=lambda r: (-r.last, r.code))
    return rows, weeks


def period_ranking(first, last, weights, teams):
    """[(name, score, activities)] of ``teams`` ((id, code, name) each) over the ISO weeks
    that start within ``first``..``last`` (a 通报's period), best first; the sums of the weekly
    index."""
    monday = rules.week_start(first)
    weeks = []
    while monday <= last:
        if monday >= first:
            weeks.append(monday)
        monday += datetime.timedelta(weeks=1)
    if not weeks:
        return []
    ids = [t[0] for t in teams] or [0]
    counts, outcomes = _counts(weeks, ids), _outcomes(weeks, ids)
    out = []
    for team_id, code, name in teams:
        total = sum((rules.score(counts.get((team_id, w), {}), outcomes.get((team_id, w), {}), weights)
                     for w in weeks), rules.TENTH * 0)
        done = sum(sum(counts.get((team_id, w), {}).values()) for w in weeks)
        out.append((name, total, done, code))
    out.sort(key=lambda r: (-r[1], r[3]))
    return [(name, total, done) for name, total, done, _code in out]

