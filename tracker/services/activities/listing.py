"""What the follow-up log's pages read: the filtered list (all for the bureau, their task
forces' for everyone else), one project's and one team's recent activities, the person's
last choices (the quick form remembers them)."""
import datetime
from dataclasses import dataclass

from peewee import JOIN, fn

from ...domain import activities as rules
from ...domain import text
from ...models import Activity, ActivityProject, Membership, Project, TaskForce, User


@dataclass
class Filters:
    task_force: int = None
    kind: str = ""
    region: str = ""
    tier: str = ""
    leader_led: bool = False
    date_from: datetime.date = None
    date_to: datetime.date = None
    q: str = ""
    voided: bool = False   # list voided entries too


def visible(user):
    query = (Activity.select(Activity, TaskForce, User)
             .join(TaskForce).switch(Activity)
             .join(User, JOIN.LEFT_OUTER, on=(Activity.user == User.id)))
    if user is not None and not user.sees_all:
        query = query.where(Activity.task_force.in_(user.task_force_ids() or [0]))
    return query


def filtered(user, filters):
    """The activities ``user`` may read matching ``filters``, newest first."""
    query = visible(user)
    if not filters.voided:
        query = query.where(Activity.voided_at.is_null())
    if filters.task_force:
        query = query.where(Activity.task_force == filters.task_force)
    if filters.kind in rules.KINDS:
        query = query.where(Activity.kind == filters.kind)
    if filters.region:
        query = query.where(Activity.region == filters.region)
    if filters.tier:
        query = query.where(Activity.counterpart_tags.contains(filters.tier))
    if filters.leader_led:
        query = query.where(Activity.leader_led == True)  # noqa: E712
    if filters.date_from:
        query = query.where(Activity.occurred_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Activity.occurred_on <= filters.date_to)
    for term in text.search_terms(filters.q or ""):
        query = query.where(Activity.summary.contains(term) | Activity.counterpart.contains(term)
                            | Activity.place.contains(term))
    return query.order_by(Activity.occurred_on.desc(), Activity.id.desc())


COUNT_CAP = 10000


def count_capped(query, cap=COUNT_CAP):
    """How many rows ``query`` has, counted up to ``cap`` + 1 (a city's whole log is millions:
    the page says "more than cap" instead of counting them all)."""
    return query.order_by().limit(cap + 1).count()


def projects_of(activity_ids):
    """{activity id: [Project]} of the given activities."""
    out = {}
    query = (ActivityProject.select(ActivityProject.activity, Project.id, Project.name)
             .join(Project).where(ActivityProject.activity.in_(list(activity_ids) or [0]))
             .order_by(Project.id))
    for link in query:
        out.setdefault(link.activity_id, []).append(link.project)
    return out


def of_project(project_id):
    """Every activity on a project (voided ones too, struck through), newest first."""
    return list(Activity.select(Activity, User).join(User, JOIN.LEFT_OUTER, on=(Activity.user == User.id))
                .switch(Activity).join(ActivityProject)
                .where(ActivityProject.project == project_id)
                .order_by(Activity.occurred_on.desc(), Activity.id.desc()))


def recent_of_team(team_id, limit=10):
    return list(Activity.select().where((Activity.task_force == team_id) & Activity.voided_at.is_null())
                .order_by(Activity.occurred_on.desc(), Activity.id.desc()).limit(limit))


def get(activity_id):
    try:
        return Activity.get_or_none(Activity.id == int(activity_id))
    except (TypeError, ValueError, OverflowError):
        return None


def last_choices(user):
    """The kind and region of the person's last activity (the quick form starts on them)."""
    if user is None:
        return {}
    last = (Activity.select(Activity.kind, Activity.region).where(Activity.user == user.id)
            .order_by(Activity.id.desc()).first())
    return {"kind": last.kind, "region": last.region} if last else {}


def counts_by_kind(query):
    return dict(query.select(Activity.kind, fn.COUNT(Activity.id)).group_by(Activity.kind).order_by().tuples())


PROJECT_CHOICES = 300


def project_choices(team_ids, include_ids=()):
    """Projects an activity of ``team_ids`` may concern: the latest PROJECT_CHOICES updated
    (退库 ones left out), plus those ``include_ids`` names."""
    query = (Project.select(Project.id, Project.name, Project.task_force)
             .where(Project.task_force.in_(list(team_ids) or [0]) & (Project.stage != "dropped"))
             .order_by(Project.updated_at.desc()).limit(PROJECT_CHOICES))
    found = list(query)
    missing = [i for i in include_ids if i not in {p.id for p in found}]
    if missing:
        found += list(Project.select(Project.id, Project.name, Project.task_force).where(Project.id.in_(missing)))
    return found


def projects_named(ids):
    return list(Project.select(Project.id, Project.name, Project.task_force).where(Project.id.in_(ids or [0])))


def users_named(ids):
    return list(User.select().where(User.id.in_(ids or [0])))


def members(team_ids):
    """Active users of ``team_ids`` (our participants)."""
    return list(User.select().join(Membership, on=(Membership.user == User.id))
                .where(Membership.task_force.in_(list(team_ids) or [0]) & User.active)
                .distinct().order_by(User.username))


def timeline_items(project_id):
    """A project's activities as items of its page's timeline (services.ledger.timeline's
    shape, kind "activity"), voided ones too."""
    voiders = {}
    rows = of_project(project_id)
    ids = {a.voided_by_id for a in rows if a.voided_by_id}
    if ids:
        voiders = {u.id: u for u in User.select().where(User.id.in_(list(ids)))}
    return [{"on": a.occurred_on, "kind": "activity", "id": a.id, "created_at": a.created_at,
             "title": f"跟进：{rules.kind_label(a.kind)}" + (f"（{a.counterpart}）" if a.counterpart else ""),
             "note": a.summary, "user": a.user, "voided": a.voided, "voided_at": a.voided_at,
             "voided_by": voiders.get(a.voided_by_id), "void_reason": a.void_reason} for a in rows]


def outreach(user, year, regions):
    """走出去: activities and distinct counterparts per target region this year, city-wide and
    per task force ({"regions": [...], "city": {region: (activities, counterparts)},
    "teams": [(name, {region: (activities, counterparts)})]}), of what ``user`` may read."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    query = (visible(user).select(TaskForce.name, Activity.region, fn.COUNT(Activity.id),
                                  fn.COUNT(Activity.counterpart.distinct()))
             .where(Activity.voided_at.is_null() & Activity.occurred_on.between(first, last)
                    & (Activity.region != ""))
             .group_by(TaskForce.name, Activity.region).order_by(TaskForce.name).tuples())
    city, teams = {}, {}
    for name, region, count, counterparts in query:
        teams.setdefault(name, {})[region] = (count, counterparts)
        total, seen = city.get(region, (0, 0))
        city[region] = (total + count, seen + counterparts)
    return {"regions": [r for r in regions if r in city] or list(regions), "city": city,
            "teams": sorted(teams.items())}
