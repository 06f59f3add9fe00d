"""The ledger's choice lists (task forces, counties, owners) and who may put projects in
which task force. The lists read on every ledger request run as compiled queries
(services.compiled: their SQL is built once per process)."""
from typing import NamedTuple

from peewee import SQL

from ...models import County, Membership, TaskForce, User
from ..compiled import Compiled


class Named(NamedTuple):
    """A task force or county in a choice list."""
    id: int
    code: str
    name: str
    active: bool


# Both lists of the ledger's filters in one query: (0, task force) rows, then (1, county).
_FILTER_CHOICES = Compiled(lambda: (
    TaskForce.select(SQL("0"), TaskForce.id, TaskForce.code, TaskForce.name, TaskForce.active)
    .union_all(County.select(SQL("1"), County.id, County.code, County.name, County.active))
    .order_by(SQL("1"), SQL("3")).tuples()))

_TASK_FORCES = Compiled(lambda: TaskForce.select(TaskForce.id, TaskForce.code, TaskForce.name)
                        .order_by(TaskForce.code))
_COUNTIES = Compiled(lambda: County.select(County.id, County.code, County.name)
                     .order_by(County.code))
_ACTIVE_COUNTIES = Compiled(lambda: County.select(County.id, County.code, County.name)
                            .where(County.active == True).order_by(County.code))  # noqa: E712
_MEMBER_OF = Compiled(lambda user_id: Membership.select(Membership.task_force)
                      .where(Membership.user == user_id).tuples(), arity=1)


def _editable(user_id):
    """Active task forces; of the user's own ones only when ``user_id`` is given."""
    query = TaskForce.select(TaskForce.id).where(TaskForce.active == True)  # noqa: E712
    if user_id is not None:
        query = query.where(TaskForce.id.in_(
            Membership.select(Membership.task_force).where(Membership.user == user_id)))
    return query


_ANY_ACTIVE = Compiled(lambda: _editable(None).limit(1).tuples())
_ANY_OWN_ACTIVE = Compiled(lambda user_id: _editable(user_id).limit(1).tuples(), arity=1)


def filter_choices():
    """(task forces, counties), each by code, as Named tuples: the filter choices."""
    lists = ([], [])
    for kind, *row in _FILTER_CHOICES.run():
        lists[int(kind)].append(Named(*row))
    return lists


def task_forces():
    """Every task force, by code (filter choices)."""
    return _TASK_FORCES.run()


def counties(active_only=False):
    return (_ACTIVE_COUNTIES if active_only else _COUNTIES).run()


def member_task_force_ids(user_id):
    """Ids of the task forces ``user_id`` is a member of (User.task_force_ids, compiled)."""
    return {tf for tf, in _MEMBER_OF.run(int(user_id))}


OWNER_ROLES = ("lead", "member")
CURRENT_OWNER = "当前责任人"


def owners(teams, include_id=None):
    """The 责任人 a project in one of ``teams`` may be given: the active leads and members of
    those task forces (no admin or bureau account), as (task force name, user) pairs in the
    teams' order, leads first; plus the user ``include_id`` names (a project's current
    责任人, kept selectable) under 当前责任人 when not among them."""
    order = {team.id: i for i, team in enumerate(teams)}
    rows = (Membership.select(Membership, User, TaskForce).join(User)
            .switch(Membership).join(TaskForce)
            .where(Membership.task_force.in_(list(order) or [0]),
                   User.active == True, User.role.in_(OWNER_ROLES)))  # noqa: E712
    rows = sorted(rows, key=lambda m: (order[m.task_force_id], m.user.role != "lead",
                                       m.user.username))
    out = [(m.task_force.name, m.user) for m in rows]
    if include_id is not None and include_id not in {user.id for _, user in out}:
        current = User.get_or_none(User.id == include_id)
        if current is not None:
            out.insert(0, (CURRENT_OWNER, current))
    return out


def editable_teams(user, include_id=None):
    """Active task forces ``user`` may put projects in (plus the one ``include_id`` names,
    a project's current team even when it is inactive now)."""
    query = TaskForce.select().where(TaskForce.active == True)  # noqa: E712
    if not user.sees_all:
        query = query.where(TaskForce.id.in_(
            Membership.select(Membership.task_force).where(Membership.user == user.id)))
    teams = list(query.order_by(TaskForce.code))
    if include_id is not None and include_id not in {t.id for t in teams}:
        extra = TaskForce.get_or_none(TaskForce.id == include_id)
        if extra is not None:
            teams.insert(0, extra)
    return teams


def can_create(user, teams=None, member_of=None):
    """Whether ``user`` may put a project in any task force (editable_teams is not empty);
    without a query when given every task force (filter_choices) and the user's ones."""
    if teams is not None and member_of is not None:
        return any(t.active and (user.sees_all or t.id in member_of) for t in teams)
    rows = _ANY_ACTIVE.run() if user.sees_all else _ANY_OWN_ACTIVE.run(int(user.id))
    return bool(rows)
