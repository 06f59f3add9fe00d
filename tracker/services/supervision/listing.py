"""What the 督办 pages read: the list with its filters and counts (the bureau all items, everyone
else their task forces'), one item's thread."""
from dataclasses import dataclass

from peewee import JOIN, fn

from ... import clock
from ...domain import supervision as rules
from ...models import Project, SupervisionItem, SupervisionReply, TaskForce, User


@dataclass
class Filters:
    state: str = ""
    task_force: int = None
    priority: str = ""
    overdue: bool = False
    this_week: bool = False


def _joined():
    Responsible = User.alias()
    query = (SupervisionItem.select(SupervisionItem, TaskForce, Project, Responsible)
             .join(TaskForce).switch(SupervisionItem)
             .join(Project, JOIN.LEFT_OUTER, on=(SupervisionItem.project == Project.id)).switch(SupervisionItem)
             .join(Responsible, JOIN.LEFT_OUTER, on=(SupervisionItem.responsible == Responsible.id),
                   attr="responsible_user"))
    return query


def visible(user):
    query = _joined()
    if not user.sees_all:
        query = query.where(SupervisionItem.task_force.in_(user.task_force_ids() or [0]))
    return query


def one(item_id):
    """The item with its team, project and responsible user (as the list reads them), or None."""
    return _joined().where(SupervisionItem.id == item_id).first()


def filtered(user, filters, today=None):
    today = today or clock.today()
    query = visible(user)
    if filters.state in rules.STATES:
        query = query.where(SupervisionItem.state == filters.state)
    if filters.task_force:
        query = query.where(SupervisionItem.task_force == filters.task_force)
    if filters.priority in rules.PRIORITIES:
        query = query.where(SupervisionItem.priority == filters.priority)
    if filters.overdue:
        query = query.where((SupervisionItem.state != rules.CLOSED) & (SupervisionItem.deadline < today))
    if filters.this_week:
        query = query.where((SupervisionItem.state != rules.CLOSED)
                            & SupervisionItem.deadline.between(today, rules.week_sunday(today)))
    return query.order_by(SupervisionItem.state == rules.CLOSED, SupervisionItem.deadline, SupervisionItem.id)


def counts(user, today=None):
    """{"open", "in_progress", "closed", "overdue"} of what ``user`` may read."""
    today = today or clock.today()
    scoped = SupervisionItem.select()
    if not user.sees_all:
        scoped = scoped.where(SupervisionItem.task_force.in_(user.task_force_ids() or [0]))
    out = dict(scoped.select(SupervisionItem.state, fn.COUNT(SupervisionItem.id))
               .group_by(SupervisionItem.state).tuples())
    out["overdue"] = scoped.where((SupervisionItem.state != rules.CLOSED)
                                  & (SupervisionItem.deadline < today)).count()
    return {key: out.get(key, 0) for key in (*rules.STATES, "overdue")}


def user_names(ids):
    """{user id: how a page names them} of ``ids`` (an export's 交办人, one read per batch)."""
    ids = {i for i in ids if i}
    return {u.id: str(u) for u in User.select().where(User.id.in_(list(ids)))} if ids else {}


def thread(item_id):
    return list(SupervisionReply.select(SupervisionReply, User)
                .join(User, JOIN.LEFT_OUTER, on=(SupervisionReply.user == User.id))
                .where(SupervisionReply.item == item_id).order_by(SupervisionReply.id))


def threads(item_ids):
    """{item id: its thread} of ``item_ids`` in one read (a page of the API with threads)."""
    out = {item_id: [] for item_id in item_ids}
    if out:
        for line in (SupervisionReply.select(SupervisionReply, User)
                     .join(User, JOIN.LEFT_OUTER, on=(SupervisionReply.user == User.id))
                     .where(SupervisionReply.item.in_(list(out))).order_by(SupervisionReply.id)):
            out[line.item_id].append(line)
    return out


def may_read(user, item):
    return user.sees_all or item.task_force_id in user.task_force_ids()


def may_reply(user, item):
    return item.task_force_id in user.task_force_ids() and item.state != rules.CLOSED
