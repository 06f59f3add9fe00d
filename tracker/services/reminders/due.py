"""What is due on a day: the 督办 items that get a reminder (tracker.domain.reminders), each
with its recipients and last 进展反馈, and the projects whose owner gets the 60天未推进 nudge.

Recipients of an item: its responsible user when one is named and active, else the active
members and leads of its responsible task force (by membership), by user name. A nudge goes
to the project's owner (责任人) when there is one and it is active.
"""
from collections import defaultdict
from dataclasses import dataclass

from peewee import JOIN, fn

from ... import clock
from ...domain import reminders
from ...domain import supervision as rules
from ...models import Membership, Project, SupervisionItem, SupervisionReply, TaskForce, User
from ..staleness import flags as stale_flags


@dataclass
class DueReminder:
    item: SupervisionItem           # with task_force, project (or None), responsible_user
    reminder: reminders.Reminder
    last_reply: SupervisionReply | None     # the latest 进展反馈, with its user
    recipients: list                # [User]


@dataclass
class DueNudge:
    flag: object                    # services.staleness.flags.StaleProject
    owner: User | None              # the project's active owner


def _items(today, schedule):
    Responsible = User.alias()
    return list(SupervisionItem.select(SupervisionItem, TaskForce, Project, Responsible)
                .join(TaskForce).switch(SupervisionItem)
                .join(Project, JOIN.LEFT_OUTER, on=(SupervisionItem.project == Project.id))
                .switch(SupervisionItem)
                .join(Responsible, JOIN.LEFT_OUTER, on=(SupervisionItem.responsible == Responsible.id),
                      attr="responsible_user")
                .where((SupervisionItem.state != rules.CLOSED)
                       & (SupervisionItem.deadline <= reminders.earliest_deadline(today, schedule)))
                .order_by(SupervisionItem.id))


def _reply_day(item, zone):
    return clock.to_local(item.last_reply_at, zone).date() if item.last_reply_at else None


def reminders_due(today, settings):
    """[DueReminder] of the open items that get a reminder on ``today`` (``settings``: the
    ReminderSettings), in item order."""
    found = []
    for item in _items(today, settings.schedule):
        reminder = reminders.reminder_on(item.deadline, today, closed=item.state == rules.CLOSED,
                                         last_reply_on=_reply_day(item, settings.zone),
                                         schedule=settings.schedule)
        if reminder is not None:
            found.append(DueReminder(item, reminder, None, []))
    people = recipients([d.item for d in found])
    replies = last_replies([d.item.id for d in found])
    for due in found:
        due.recipients, due.last_reply = people[due.item.id], replies.get(due.item.id)
    return found


def _responsible(item):
    person = getattr(item, "responsible_user", None) if item.responsible_id else None
    return person if person is not None and person.active else None


def recipients(items):
    """{item id: [User]}: the responsible user (named and active), else the team's active
    members and leads."""
    teams = sorted({item.task_force_id for item in items if _responsible(item) is None})
    members = defaultdict(list)
    if teams:
        query = (User.select(User, Membership.task_force.alias("tf_id"))
                 .join(Membership, on=(Membership.user == User.id))
                 .where(Membership.task_force.in_(teams) & (User.active == True))  # noqa: E712
                 .order_by(User.username))
        for user in query.objects():
            members[user.tf_id].append(user)
    out = {}
    for item in items:
        person = _responsible(item)
        out[item.id] = [person] if person is not None else list(members[item.task_force_id])
    return out


def last_replies(item_ids):
    """{item id: the latest 进展反馈 (with its user)} of the items that have one."""
    if not item_ids:
        return {}
    latest = (SupervisionReply.select(fn.MAX(SupervisionReply.id))
              .where(SupervisionReply.item.in_(item_ids) & (SupervisionReply.kind == "reply"))
              .group_by(SupervisionReply.item))
    query = (SupervisionReply.select(SupervisionReply, User)
             .join(User, JOIN.LEFT_OUTER, on=(SupervisionReply.user == User.id))
             .where(SupervisionReply.id.in_(latest)))
    return {reply.item_id: reply for reply in query}


def nudges_due(today, settings):
    """[DueNudge] of the projects with an open stale flag (services.staleness.flags) whose
    silence turned 60天未推进 (REMINDER_NUDGE_DAYS) within the catch-up window at ``today``;
    whether one was already sent for that silence is the caller's (the outbox's) business."""
    due = [flag for flag in stale_flags.open_flags(as_of=today)
           if reminders.nudge_due(flag.last_progress_on, today, settings.schedule)]
    owner_ids = sorted({flag.owner_id for flag in due if flag.owner_id})
    owners = {}
    if owner_ids:
        query = User.select().where(User.id.in_(owner_ids) & (User.active == True))  # noqa: E712
        owners = {user.id: user for user in query}
    return [DueNudge(flag, owners.get(flag.owner_id)) for flag in sorted(due, key=lambda f: f.project_id)]


def episode_key(flag):
    """The key of one silence of a project: its id and the day its silence began."""
    return f"stale:{flag.project_id}:{flag.last_progress_on:%Y%m%d}"
