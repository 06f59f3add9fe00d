"""CLI: create-user (password from stdin or prompt, never an argument), db upgrade/status, seed."""
import datetime

import pytest

from tracker import clock, create_app
from tracker.db import database
from tracker.models import Membership, Project, User
from tests.factories import make_task_force, make_user

GOOD = "correct-horse-9"


def _users():
    return [(u.username, u.role) for u in User.select().order_by(User.username)]


def test_create_user_reads_password_from_stdin(app, runner):
    with app.app_context():
        make_task_force("JXHG", "精细化工专班")
        make_task_force("XCL", "新材料专班")
    result = runner.invoke(args=[
        "create-user", "wang", "--role", "lead", "--name", "王组长", "--email", "wang@example.com",
        "--task-force", "JXHG", "--task-force", "XCL", "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert "created user wang" in result.output
    assert GOOD not in result.output
    with app.app_context():
        user = User.get(User.username == "wang")
        assert (user.role, user.display_name, user.email) == ("lead", "王组长", "wang@example.com")
        assert user.check_password(GOOD)
        assert user.password_hash != GOOD
        codes = sorted(m.task_force.code for m in Membership.select().where(Membership.user == user))
        assert codes == ["JXHG", "XCL"]
    # The new account can log in.
    client = app.test_client()
    assert client.post("/login", data={"username": "wang", "password": GOOD}).status_code == 302


def test_create_user_prompts_with_confirmation(app, runner):
    result = runner.invoke(args=["create-user", "li"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "password" in result.output.lower()
    with app.app_context():
        user = User.get(User.username == "li")
        assert user.role == "member" and user.check_password(GOOD)


def test_prompt_mismatch_asks_again_and_never_saves_a_wrong_password(app, runner):
    result = runner.invoke(args=["create-user", "li"],
                           input=f"{GOOD}\nsomething-else\n{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    with app.app_context():
        assert User.get(User.username == "li").check_password(GOOD)


def test_prompt_mismatch_then_end_of_input_aborts(app, runner):
    result = runner.invoke(args=["create-user", "li"], input=f"{GOOD}\nsomething-else\n")
    assert result.exit_code != 0
    with app.app_context():
        assert _users() == []


@pytest.mark.parametrize("stdin", ["short\n", "\n", ""])
def test_short_password_is_refused(app, runner, stdin):
    result = runner.invoke(args=["create-user", "li", "--password-stdin"], input=stdin)
    assert result.exit_code == 2
    assert "至少 10 个字符" in result.output
    with app.app_context():
        assert _users() == []


def test_short_password_at_prompt_is_refused(app, runner):
    result = runner.invoke(args=["create-user", "li"], input="abc\nabc\n")
    assert result.exit_code == 2
    assert "至少 10 个字符" in result.output
    with app.app_context():
        assert _users() == []


def test_duplicate_user_is_refused_and_unchanged(app, runner):
    with app.app_context():
        make_user("li", role="member", password="old-password-1")
    result = runner.invoke(args=["create-user", "li", "--role", "admin", "--password-stdin"],
                           input=GOOD + "\n")
    assert result.exit_code == 2
    assert "已存在" in result.output
    with app.app_context():
        assert _users() == [("li", "member")]
        assert User.get(User.username == "li").check_password("old-password-1")


def test_unknown_task_force_is_refused(app, runner):
    with app.app_context():
        make_task_force("JXHG", "精细化工专班")
    result = runner.invoke(args=["create-user", "li", "--task-force", "JXHG",
                                 "--task-force", "NOPE", "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 2
    assert "专班代码不存在" in result.output and "NOPE" in result.output
    with app.app_context():
        assert _users() == []
        assert Membership.select().count() == 0


@pytest.mark.parametrize("args,message", [
    (["--role", "king"], "Invalid value for '--role'"),
    (["--email", "not-an-email"], "邮箱地址格式不正确"),
    (["--password", GOOD], "No such option"),  # never on the command line
])
def test_bad_options_are_refused(app, runner, args, message):
    result = runner.invoke(args=["create-user", "li", *args, "--password-stdin"],
                           input=GOOD + "\n")
    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert _users() == []


def test_blank_username_is_refused(app, runner):
    result = runner.invoke(args=["create-user", "   ", "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 2
    with app.app_context():
        assert _users() == []


def test_db_upgrade_and_status_on_a_migrated_database(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    status = runner.invoke(args=["db", "status"])
    assert status.exit_code == 0, status.output
    assert "[x] 0001_ledger" in status.output
    assert "pending" not in status.output


def test_db_upgrade_from_empty_then_status_then_noop(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "SECRET_KEY": "t",
                      "TESTING": True}, instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    pending = runner.invoke(args=["db", "status"])
    assert pending.exit_code == 1
    assert "[ ] 0001_ledger" in pending.output and "pending" in pending.output
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    assert "applied: 0001_ledger" in upgrade.output
    assert runner.invoke(args=["db", "status"]).exit_code == 0
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0 and "up to date" in again.output
    with app.app_context():
        assert User.select().count() == 0  # tables exist and are queryable
    database.close()


def test_seed_command_and_if_empty(sqlite_app, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: datetime.date(2026, 11, 25))
    sqlite_app.config["SEED_PASSWORD"] = "cli-seed-pass"
    runner = sqlite_app.test_cli_runner()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "用户名 admin" in result.output and "cli-seed-pass" in result.output
    with sqlite_app.app_context():
        projects = Project.select().count()
    assert projects >= 150
    again = runner.invoke(args=["seed", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "跳过" in again.output
    assert "用户名 admin" in again.output  # `make run` still shows the logins
    rerun = runner.invoke(args=["seed"])
    assert rerun.exit_code == 0 and "新建 0 个项目" in rerun.output
    with sqlite_app.app_context():
        assert Project.select().count() == projects


def test_create_user_writes_one_audit_row(app, runner):
    from tracker.models import AuditLog
    with app.app_context():
        make_task_force("JXHG", "精细化工专班")
    result = runner.invoke(args=["create-user", "ｗａｎｇ ", "--role", "lead", "--name", " 王\u200b组长 ",
                                 "--email", "Wang@Example.com", "--task-force", "JXHG",
                                 "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = User.get(User.username == "wang")  # an identifier: NFKC, trimmed
        assert user.display_name == "王组长"
        rows = list(AuditLog.select().where(AuditLog.entity == "user"))
        assert [(r.entity_id, r.action, r.origin) for r in rows] == [(user.id, "create", "cli")]
        assert '"task_forces": ["JXHG"]' in rows[0].after and '"role": "lead"' in rows[0].after
        assert GOOD not in rows[0].after and "password" not in rows[0].after


@pytest.mark.parametrize("args,message", [
    (["--email", "li@example.com\r\nBcc: all@example.com"], "换行符"),
    (["--email", "li@example.com\n"], "换行符"),
    (["--email", "li@exa mple.com"], "邮箱地址格式不正确"),
    (["--email", "li@localhost"], "邮箱地址格式不正确"),
    (["--name", "李\x00四"], "NUL"),
    (["--name", "李" * 65], "--name"),
])
def test_bad_email_or_name_is_refused_and_nothing_written(app, runner, args, message):
    from tracker.models import AuditLog
    result = runner.invoke(args=["create-user", "li", *args, "--password-stdin"],
                           input=GOOD + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    with app.app_context():
        assert _users() == [] and AuditLog.select().count() == 0


@pytest.mark.parametrize("username,message", [
    ("li\x00", "NUL"), ("l" * 65, "64"), ("\u200b \u3000", "请填写用户名"),
])
def test_bad_username_is_refused_before_the_password_is_read(app, runner, username, message):
    result = runner.invoke(args=["create-user", username])  # no input: never prompted
    assert result.exit_code == 2, result.output
    assert message in result.output and "USERNAME" in result.output
    assert "password" not in result.output.lower().replace("--password-stdin", "")
    with app.app_context():
        assert _users() == []


def test_look_alike_duplicate_username_is_refused(app, runner):
    with app.app_context():
        make_user("li")
    result = runner.invoke(args=["create-user", "ｌｉ", "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code == 2 and "已存在" in result.output
    with app.app_context():
        assert _users() == [("li", "member")]
