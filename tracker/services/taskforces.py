"""Task forces (招商专班): create/edit with audit, list overview and pipeline funnel queries."""
from dataclasses import dataclass, field

from peewee import JOIN, IntegrityError, fn

from ..db import database
from ..domain import money, pipeline
from ..models import County, Membership, Project, TaskForce, TaskForceCounty, User
from . import audit

# Columns an editor may change; also what the audit rows record.
EDITABLE = ("code", "name", "kind", "industry", "lead_department", "leader", "active")


class DuplicateTaskForce(ValueError):
    """Code or name already used by another task force."""

    def __init__(self, field_name, message):
        super().__init__(message)
        self.field = field_name
        self.message = message


def county_ids(team):
    return sorted(link.county_id for link in
                  TaskForceCounty.select(TaskForceCounty.county).where(
                      TaskForceCounty.task_force == team))


def member_ids(team):
    return sorted(m.user_id for m in
                  Membership.select(Membership.user).where(Membership.task_force == team))


def _state(team):
    data = audit.snapshot(team, EDITABLE)
    data["counties"] = county_ids(team)
    data["members"] = member_ids(team)
    return data


def find_duplicate(code, name, exclude_id=None):
    """(field, message) when another task force already has this code or name."""
    query = TaskForce.select(TaskForce.id, TaskForce.code, TaskForce.name)
    if exclude_id is not None:
        query = query.where(TaskForce.id != exclude_id)
    for other in query.where((TaskForce.code == code) | (TaskForce.name == name)):
        if other.code == code:
            return "code", f"专班编码「{code}」已被「{other.name}」使用。"
        return "name", f"专班名称「{name}」已存在。"
    return None


def save_task_force(user, data, team=None):
    """Create (team=None) or update a task force with its counties and members.

    ``data`` holds the EDITABLE keys plus ``counties`` and ``members`` (lists of ids).
    One transaction; one audit row (create or update, only the changed keys).
    Raises DuplicateTaskForce when the code or name is taken.
    """
    values = {key: data[key] for key in EDITABLE if key in data}
    wanted_counties = sorted(set(data.get("counties") or ()))
    wanted_members = sorted(set(data.get("members") or ()))
    creating = team is None
    dup = find_duplicate(values.get("code", team.code if team else None),
                         values.get("name", team.name if team else None),
                         exclude_id=None if creating else team.id)
    if dup:
        raise DuplicateTaskForce(*dup)
    try:
        with database.atomic():
            if creating:
                before = {}
                team = TaskForce.create(**values)
            else:
                before = _state(team)
                for key, value in values.items():
                    setattr(team, key, value)
                team.save()
            _sync_links(TaskForceCounty, "county", team, wanted_counties)
            _sync_links(Membership, "user", team, wanted_members)
            after = _state(team)
            if creating:
                audit.record(user, "task_force", team.id, "create", None, after)
            else:
                old, new = audit.changed(before, after)
                if new:
                    audit.record(user, "task_force", team.id, "update", old, new)
    except IntegrityError as exc:
        # Lost a race with a concurrent save: report it like the pre-check does.
        dup = find_duplicate(values.get("code"), values.get("name"),
                             exclude_id=None if creating else team.id)
        if dup:
            raise DuplicateTaskForce(*dup) from exc
        raise
    return team


def _sync_links(model, column, team, wanted):
    target = getattr(model, column)
    current = {getattr(row, f"{column}_id") for row in
               model.select(target).where(model.task_force == team)}
    remove = current - set(wanted)
    if remove:
        model.delete().where((model.task_force == team) & target.in_(sorted(remove))).execute()
    add = [w for w in wanted if w not in current]
    if add:
        model.insert_many([{"task_force": team.id, column: w} for w in add]).execute()


@dataclass
class TaskForceRow:
    team: TaskForce
    by_stage: dict = field(default_factory=dict)  # stage -> count

    @property
    def total(self):
        return sum(self.by_stage.values())

    @property
    def open_count(self):
        return sum(n for stage, n in self.by_stage.items() if stage != pipeline.DROPPED)


def overview(include_inactive=True):
    """Every task force with its project counts by current stage (one grouped query)."""
    teams = TaskForce.select().order_by(TaskForce.kind, TaskForce.id)
    if not include_inactive:
        teams = teams.where(TaskForce.active == True)  # noqa: E712
    rows = {team.id: TaskForceRow(team) for team in teams}
    counts = (Project.select(Project.task_force, Project.stage, fn.COUNT(Project.id).alias("n"))
              .group_by(Project.task_force, Project.stage).tuples())
    for team_id, stage, n in counts:
        if team_id in rows:
            rows[team_id].by_stage[stage] = int(n)
    return list(rows.values())


@dataclass
class FunnelStep:
    stage: str
    count: int          # projects currently at this stage
    planned: object     # Decimal 万元, planned investment of those projects
    reached: int        # projects that ever reached (or skipped past) this stage
    share: float = 0.0  # bar width 0..100 relative to the widest step

    @property
    def label(self):
        return pipeline.label(self.stage)


def funnel(team):
    """Pipeline funnel of one task force: per stage, current count and planned
    investment, plus how many projects ever reached the stage (first-reached dates)."""
    current = {stage: (int(n), money.to_decimal(total)) for stage, n, total in
               Project.select(Project.stage, fn.COUNT(Project.id),
                              fn.SUM(Project.planned_investment))
               .where(Project.task_force == team).group_by(Project.stage).tuples()}
    reached_cols = [fn.COUNT(getattr(Project, pipeline.FIRST_REACHED_FIELD[s]))
                    for s in pipeline.MILESTONE_STAGES]
    row = (Project.select(fn.COUNT(Project.id), *reached_cols)
           .where(Project.task_force == team).tuples().get())
    total, reached = int(row[0] or 0), [int(v or 0) for v in row[1:]]
    reached_by_stage = dict(zip(pipeline.MILESTONE_STAGES, reached))
    reached_by_stage[pipeline.RESERVE] = total
    steps = []
    for stage in pipeline.STAGES:
        count, planned = current.get(stage, (0, money.to_decimal(0)))
        steps.append(FunnelStep(stage, count, planned,
                                reached_by_stage.get(stage, count)))
    widest = max([s.reached for s in steps] + [s.count for s in steps] + [1])
    for step in steps:
        step.share = round(100.0 * max(step.reached, step.count) / widest, 1)
    return steps


def members(team):
    """Users of a task force, leads first."""
    order = {"lead": 0, "member": 1, "bureau": 2, "admin": 3}
    users = list(User.select().join(Membership).where(Membership.task_force == team))
    return sorted(users, key=lambda u: (order.get(u.role, 9), u.username))


def counties(team):
    return list(County.select().join(TaskForceCounty)
                .where(TaskForceCounty.task_force == team).order_by(County.code))


def recent_projects(team, limit=10):
    """Projects with the latest logged progress first."""
    return list(Project.select(Project, County).join(County, JOIN.LEFT_OUTER)
                .where(Project.task_force == team)
                .order_by(Project.last_progress_on.desc(), Project.id.desc()).limit(limit))
