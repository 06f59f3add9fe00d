"""督办 (supervision items, issue 22): the bureau's chasing as records with a deadline.

States: 待办 (open) → 办理中 (in progress, from the first reply) → 已办结 (closed by the bureau
with a 办结说明); 已办结 → 办理中 again when the bureau 退回 it with a reason. Replies come from
the responsible task force (members and lead); only the bureau closes or reopens.

Pure rules: no Flask, no database.
"""
import datetime

OPEN, IN_PROGRESS, CLOSED = "open", "in_progress", "closed"
STATES = {OPEN: "待办", IN_PROGRESS: "办理中", CLOSED: "已办结"}
PRIORITIES = {"normal": "一般", "key": "重点", "urgent": "紧急"}
TITLE_MAX = 100
TEXT_MAX = 2000
NOTE_MAX = 500
WHO_MAX = 64


def state_label(state):
    return STATES.get(state, state)


def priority_label(priority):
    return PRIORITIES.get(priority, priority)


def after_reply(state):
    """The state a reply leaves: the first reply starts the work; a closed item takes none."""
    if state == CLOSED:
        raise ValueError("closed")
    return IN_PROGRESS


def overdue(state, deadline, today):
    """Past its deadline and not closed."""
    return state != CLOSED and deadline < today


def days_overdue(state, deadline, today):
    return (today - deadline).days if overdue(state, deadline, today) else 0


def week_sunday(today):
    """The Sunday that ends ``today``'s week."""
    return today + datetime.timedelta(days=6 - today.weekday())


def due_this_week(state, deadline, today):
    """Not closed, due from today to this week's Sunday."""
    return state != CLOSED and today <= deadline <= week_sunday(today)
