"""CLI: users list|edit|deactivate|reactivate|reset-password (no password on the command line:
a temporary one is printed once), api-token create --expires; refusals exit 2, write nothing."""
import datetime
import re

from tracker import clock
from tracker.models import ApiToken, AuditLog, Membership, User
from tests.factories import DEFAULT_PASSWORD, make_task_force, make_user


def _setup(app):
    with app.app_context():
        team = make_task_force("JXHG", "精细化工专班")
        make_task_force("XCL", "新材料专班")
        make_user("admin", role="admin")
        make_user("li", role="member", task_forces=[team])


def test_users_list(app, runner):
    _setup(app)
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^li\tli\tli@example.test\tmember\tJXHG\tactive$", result.output, re.M)
    assert re.search(r"^admin\t.*\tadmin\t-\tactive$", result.output, re.M)


def test_users_edit_with_one_audit_row(app, runner):
    _setup(app)
    result = runner.invoke(args=["users", "edit", "li", "--name", "李四", "--role", "lead",
                                 "--task-force", "XCL", "--task-force", "JXHG"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = User.get(User.username == "li")
        assert (user.display_name, user.role, user.email) == ("李四", "lead", "li@example.test")
        assert sorted(m.task_force.code for m in user.memberships) == ["JXHG", "XCL"]
        [row] = AuditLog.select().where(AuditLog.action == "edit")
        assert row.origin == "cli" and '"role": "lead"' in row.after
    result = runner.invoke(args=["users", "edit", "li", "--no-task-forces"])
    assert result.exit_code == 0
    with app.app_context():
        assert Membership.select().count() == 0


def test_users_edit_refusals(app, runner):
    _setup(app)
    for args, message in [(["nobody", "--name", "x"], "不存在"),
                          (["li", "--email", "x@localhost"], "--email"),
                          (["li", "--task-force", "NOPE"], "NOPE"),
                          (["li", "--task-force", "XCL", "--no-task-forces"], "exclude"),
                          (["li", "--role", "king"], "Invalid value"),
                          (["admin", "--role", "member"], "管理员")]:
        result = runner.invoke(args=["users", "edit", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    with app.app_context():
        assert not AuditLog.select().exists()


def test_users_deactivate_and_reactivate(app, runner):
    _setup(app)
    result = runner.invoke(args=["users", "deactivate", "li"])
    assert result.exit_code == 0 and "deactivated user li" in result.output
    with app.app_context():
        assert not User.get(User.username == "li").active
    result = runner.invoke(args=["users", "deactivate", "li"])
    assert result.exit_code == 2 and "已停用" in result.output
    result = runner.invoke(args=["users", "deactivate", "admin"])
    assert result.exit_code == 2 and "管理员" in result.output  # the last active admin
    result = runner.invoke(args=["users", "reactivate", "li"])
    assert result.exit_code == 0
    with app.app_context():
        assert User.get(User.username == "li").active
        assert [r.action for r in AuditLog.select().order_by(AuditLog.id)] == [
            "deactivate", "activate"]


def test_users_reset_password_prints_a_temporary_one_once(app, runner):
    _setup(app)
    result = runner.invoke(args=["users", "reset-password", "li"])
    assert result.exit_code == 0, result.output
    temporary = re.search(r"temporary password for li: (\S+)", result.output).group(1)
    with app.app_context():
        user = User.get(User.username == "li")
        assert user.must_change_password and user.check_password(temporary)
        assert not user.check_password(DEFAULT_PASSWORD)
        [row] = AuditLog.select()
        assert temporary not in row.after + row.before and row.origin == "cli"
    result = runner.invoke(args=["users", "reset-password", "li", "--password", "x"])
    assert result.exit_code == 2 and "No such option" in result.output
    result = runner.invoke(args=["users", "reset-password", "nobody"])
    assert result.exit_code == 2 and "不存在" in result.output


def test_api_token_create_with_expiry(app, runner):
    _setup(app)
    day = clock.today() + datetime.timedelta(days=30)
    result = runner.invoke(args=["api-token", "create", "li", "--expires", day.isoformat()])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert ApiToken.get().expires_at == day
    listing = runner.invoke(args=["api-token", "list"]).output
    assert f"expires {day.isoformat()}" in listing and "\tactive" in listing
    for bad, message in [("2020-01-01", "早于今天"), ("2026-02-30", "Invalid value"),
                         ("tomorrow", "Invalid value")]:
        result = runner.invoke(args=["api-token", "create", "li", "--expires", bad])
        assert result.exit_code == 2 and message in result.output, result.output
    with app.app_context():
        assert ApiToken.select().count() == 1
        ApiToken.update(expires_at=clock.today() - datetime.timedelta(days=1)).execute()
    assert "\texpired" in runner.invoke(args=["api-token", "list"]).output
