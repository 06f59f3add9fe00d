"""Small builders for test data. Call inside an app context."""
from tracker.models import County, Membership, TaskForce, User

DEFAULT_PASSWORD = "password123"


def make_user(username="alice", role="member", task_forces=(), password=DEFAULT_PASSWORD, **kw):
    kw.setdefault("display_name", username)
    kw.setdefault("email", f"{username}@example.test")
    user = User(username=username, role=role, **kw)
    user.set_password(password)
    user.save()
    for team in task_forces:
        Membership.create(user=user, task_force=team)
    return user


def make_task_force(code="TF1", name=None, **kw):
    kw.setdefault("industry", "精细化工")
    return TaskForce.create(code=code, name=name or f"{code}专班", **kw)


def make_county(code="C1", name=None, **kw):
    return County.create(code=code, name=name or f"{code}区", **kw)


def make_project(task_force, name="项目A", *, user=None, planned_investment="1000", **kw):
    """A project created through the service, so first-reached dates are kept."""
    from tests.backfill import ledger as backfill_ledger
    from tracker.services.ledger import projects as ledger_projects
    projects = backfill_ledger(ledger_projects)
    return projects.create_project(user, task_force=task_force, name=name,
                                   planned_investment=planned_investment, **kw)
