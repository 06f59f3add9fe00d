"""A member's 待办督办 block (templates/supervision/_todo.html) for the pages people land on: the
open items of their task forces, their own first, with the deadline and days overdue."""
from flask import render_template
from flask_login import current_user
from markupsafe import Markup

from ... import clock
from ...domain import supervision as rules
from ...services import memo
from ...services.supervision import overdue

LIMIT = 10


def todo_context(task_force_id=None):
    """What _todo.html shows (None for a person without a task force: the block is left out)."""
    user = current_user
    if not getattr(user, "is_authenticated", False):
        return None
    teams = user.task_force_ids()
    if not teams or (task_force_id is not None and task_force_id not in teams):
        return None
    today = clock.today()
    found = overdue.todo(user, today, LIMIT, task_force_id)
    rows = [{"id": i.id, "title": i.title, "team": i.task_force.name, "deadline": i.deadline,
             "days": rules.days_overdue(i.state, i.deadline, today), "state": rules.state_label(i.state),
             "priority": rules.priority_label(i.priority), "mine": i.responsible_id == user.id}
            for i in found.items]
    return {"rows": rows, "total": found.total, "overdue": found.overdue, "more": found.more,
            "team_id": task_force_id}


def team_context(team_id):
    """The open items of a task force for its page (None when the person may not read them:
    the bureau reads every team's, a member their own teams')."""
    user = current_user
    if not (user.sees_all or team_id in user.task_force_ids()):
        return None
    today = clock.today()
    items, total = overdue.open_of_team(team_id, LIMIT)
    rows = [{"id": i.id, "title": i.title, "deadline": i.deadline, "state": rules.state_label(i.state),
             "days": rules.days_overdue(i.state, i.deadline, today), "priority": rules.priority_label(i.priority),
             "mine": i.responsible_id == user.id} for i in items]
    return {"rows": rows, "total": total, "more": max(0, total - len(rows)), "team_id": team_id}


def project_context(project_id):
    """The 督办 items on a project for its page (everyone who reads the project reads them)."""
    today = clock.today()
    items, total = overdue.of_project(project_id)
    rows = [{"id": i.id, "title": i.title, "deadline": i.deadline, "state": rules.state_label(i.state),
             "closed": i.state == rules.CLOSED, "days": rules.days_overdue(i.state, i.deadline, today),
             "priority": rules.priority_label(i.priority)} for i in items]
    return {"rows": rows, "total": total, "more": max(0, total - len(rows)), "project_id": project_id}


def todo_html():
    """_todo.html of the person, remembered per data version (every 督办 write moves it) and day:
    the block costs a few queries, a page that carries it is read all the time."""
    return Markup(memo.remembered("todo-slot", (getattr(current_user, "id", None), clock.today()),
                                  lambda: render_template("supervision/_todo.html", todo=todo_context()),
                                  small=True))


def team_items_html(team_id):
    """_team_items.html of a task force as the person sees it (remembered like todo_html)."""
    return Markup(memo.remembered("team-items-slot", (team_id, getattr(current_user, "id", None), clock.today()),
                                  lambda: render_template("supervision/_team_items.html",
                                                          team_items=team_context(team_id)), small=True))
