"""What the robot pages and ``robots list`` read: the robots a user sees (grouped by
team, the bureau's first), their masked webhook URL and secret, the robot outbox (its
messages, counts, the broken robots the bureau must fix)."""
from dataclasses import dataclass

from peewee import JOIN, fn

from ...domain.robots import mask_secret, mask_url
from ...models import GroupRobot, RobotMessage, TaskForce
from ..pagination import paginate
from .manage import get, may_manage

PER_PAGE = 50
UNKNOWN_LABEL = RobotMessage.QUALIFIED[("failed", RobotMessage.UNKNOWN)]
FILTERS = {**RobotMessage.STATUSES, "unknown": UNKNOWN_LABEL}


def masked_url(robot):
    return mask_url(robot.webhook_url)


def masked_secret(robot):
    return mask_secret(robot.secret)


def all_robots():
    return list(GroupRobot.select(GroupRobot, TaskForce)
                .join(TaskForce, JOIN.LEFT_OUTER, on=(GroupRobot.task_force == TaskForce.id))
                .order_by(GroupRobot.task_force.is_null(False), TaskForce.code, GroupRobot.id))


@dataclass
class Group:
    task_force: object          # TaskForce or None (the bureau)
    robots: list
    manageable: bool

    @property
    def title(self):
        return self.task_force.name if self.task_force is not None else "商务局（全市）"


def groups_for(user):
    """[Group] the user sees: the bureau and every team for the bureau and admins; a
    member or lead sees their own teams' robots (a lead may manage them)."""
    robots = all_robots()
    if user.sees_all:
        teams = [None] + list(TaskForce.select().where(TaskForce.active).order_by(TaskForce.code))
    else:
        mine = user.task_force_ids()
        teams = list(TaskForce.select().where(TaskForce.id.in_(sorted(mine))).order_by(TaskForce.code))
    out = []
    for team in teams:
        team_id = team.id if team is not None else None
        out.append(Group(team, [r for r in robots if r.task_force_id == team_id],
                         may_manage(user, team_id)))
    return out


def broken_robots():
    return [r for r in all_robots() if r.state == "broken"]


def _filtered(query, status):
    M = RobotMessage
    if status == "unknown":
        return query.where((M.status == "failed") & (M.outcome == M.UNKNOWN))
    return query.where(M.status == status) if status in M.STATUSES else query


def messages(status=None, page=1, per_page=PER_PAGE):
    """One page of robot messages, newest first, with their robot and team."""
    M = RobotMessage
    query = (M.select(M.id, M.robot, M.key, M.title, M.status, M.outcome, M.attempts,
                      M.next_attempt_at, M.sent_at, M.last_error, M.created_at,
                      GroupRobot.id, GroupRobot.name, GroupRobot.kind, GroupRobot.task_force,
                      GroupRobot.state, TaskForce.id, TaskForce.name)
             .join(GroupRobot, on=(M.robot == GroupRobot.id))
             .join(TaskForce, JOIN.LEFT_OUTER, on=(GroupRobot.task_force == TaskForce.id))
             .order_by(M.id.desc()))
    return paginate(_filtered(query, status), page, per_page)


def counts():
    """{status: n} of the robot messages, with "unknown" (failed, state unknown)."""
    M = RobotMessage
    found = {}
    for status, outcome, n in (M.select(M.status, M.outcome, fn.COUNT(M.id))
                               .group_by(M.status, M.outcome).tuples()):
        found[status] = found.get(status, 0) + n
        if (status, outcome) == ("failed", M.UNKNOWN):
            found["unknown"] = n
    return found


def scopes_managed(user):
    """[(task force id or "", name)] of the scopes whose robots ``user`` manages (the
    bureau's first): the choices of the robot form."""
    return [("" if g.task_force is None else g.task_force.id, g.title) for g in groups_for(user)
            if g.manageable]


def robot_of(robot_id):
    """The robot (NotFound when missing)."""
    return get(robot_id)


@dataclass
class Panel:
    """What the 周报发件箱 page shows of the robots: the broken ones, the counts, and the
    messages a person must look at (failed, 状态未知), newest first."""
    broken: list
    counts: dict
    attention: list


def outbox_panel(limit=10):
    attention = messages("failed", 1, limit).rows
    return Panel(broken_robots(), counts(), attention)
