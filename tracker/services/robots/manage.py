"""Robot writes (docs/design.md, The write path): create, edit, disable/enable, delete a
group robot, and send a test message. Each is one transaction that locks first (the
robot, or the task force a new robot joins), checks who may, writes, and one audit row.

The audit row never holds the webhook URL or the secret: a change of either is recorded
as ``{"webhook": "changed"}`` / ``{"secret": "changed"}``. The bureau and admins manage
every robot; a task force's lead (role "lead", member of the team) manages its robots.
"""
import secrets

from ...domain import robots as rules
from ...domain import text
from ...domain.errors import NotFound, ValidationError
from ...models import GroupRobot, RobotMessage, TaskForce, utcnow
from .. import audit, tx
from . import delivery

MISSING = "机器人不存在。"
NOT_ALLOWED = "只有商务局、管理员或该专班的负责人可以管理机器人。"
BUREAU_ONLY = "只有商务局或管理员可以管理全市（商务局）机器人。"
STALE = "该机器人已被他人修改，请刷新后重试。"
NAME_MAX = 64
SECRETS = ("webhook_url", "secret")


def may_manage(user, task_force_id):
    """Whether ``user`` manages the robots of ``task_force_id`` (None: the bureau's)."""
    if user is None:
        return True            # the system (CLI run by the operator)
    if user.sees_all:
        return True
    return (task_force_id is not None and user.role == "lead"
            and task_force_id in user.task_force_ids())


def _check_may(user, task_force_id):
    if not may_manage(user, task_force_id):
        raise ValidationError({"__all__": BUREAU_ONLY if task_force_id is None else NOT_ALLOWED})


def _url(errors, value, kind, settings):
    if text.has_nul(value or ""):
        errors["webhook_url"] = "Webhook 地址包含无效字符。"
        return (value or "").strip()
    url = text.normalize(value)     # pasted from a chat: invisible and control characters go
    problem = rules.url_problem(url, settings.allowed_hosts, settings.allow_http)
    problem = problem or rules.kind_problem(kind, url)
    if problem:
        errors["webhook_url"] = problem
    return url


def _clean(values, settings, keep=None):
    """The robot's fields from ``values``; with ``keep`` (the robot being edited) a blank
    URL or secret keeps the stored one (they are shown masked, never filled in)."""
    errors = {}
    kind = values.get("kind") or (keep.kind if keep else "")
    if kind not in rules.KINDS:
        errors["kind"] = "请选择机器人类型（企业微信或钉钉）。"
    out = {"kind": kind, "name": text.clean_into(errors, "name", values.get("name"), label="名称",
                                                 max_length=NAME_MAX, required=True)}
    if keep is None or (values.get("webhook_url") or "").strip():
        out["webhook_url"] = _url(errors, values.get("webhook_url"), kind, settings)
    elif kind != keep.kind:
        _url(errors, keep.webhook_url, kind, settings)
    secret = (values.get("secret") or "").strip()
    if len(secret) > rules.SECRET_MAX or text.has_nul(secret) or any(c.isspace() for c in secret):
        errors["secret"] = f"加签密钥不能超过 {rules.SECRET_MAX} 个字符，且不能包含空白。"
    if secret or values.get("clear_secret") or keep is None:
        out["secret"] = "" if values.get("clear_secret") else secret
    if errors:
        raise ValidationError(errors)
    return out


def _audited(fields):
    """What the audit row may say about ``fields``: never the URL or secret."""
    return {k: ("changed" if k in SECRETS else v) for k, v in fields.items()}


def _team(values):
    raw = values.get("task_force")
    if raw in (None, ""):
        return None
    try:
        found = TaskForce.get_or_none(TaskForce.id == int(raw))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise ValidationError({"task_force": "专班不存在。"})
    return found.id


def create(user, values, settings):
    """A new robot of a task force (``values["task_force"]``) or of the bureau (none)."""
    team_id = _team(values)
    _check_may(user, team_id)
    fields = _clean(values, settings)
    with tx.write():
        if team_id is not None:
            tx.lock_id(TaskForce, team_id, missing="专班不存在。")
        robot = GroupRobot.create(task_force=team_id, created_by=audit.actor(user), state="ok",
                                  **fields)
        after = _audited(dict(fields, task_force=team_id))
        audit.record(user, "group_robot", robot.id, "create", None, after)
    return robot


def _locked(robot_id):
    try:
        robot_id = int(robot_id)
    except (TypeError, ValueError, OverflowError):
        robot_id = 0
    return tx.lock(GroupRobot, GroupRobot.id == robot_id, missing=MISSING)


def get(robot_id):
    try:
        found = GroupRobot.get_or_none(GroupRobot.id == int(robot_id))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise NotFound(MISSING)
    return found


def _save(user, robot, changes, action, version=None):
    if version is not None and str(version) != str(robot.version):
        raise ValidationError({"version": STALE})
    before = {k: getattr(robot, k) for k in changes}
    old, new = audit.changed(before, changes)
    if not new:
        return robot
    GroupRobot.update(version=GroupRobot.version + 1, updated_at=utcnow(), **new).where(
        GroupRobot.id == robot.id).execute()
    audit.record(user, "group_robot", robot.id, action, _audited(old), _audited(new))
    return get(robot.id)


def edit(user, robot_id, values, settings, version=None):
    """Change a robot's name, kind, URL or secret (blank URL/secret: kept). A changed URL
    or secret makes a broken robot usable again."""
    with tx.write():
        robot = _locked(robot_id)
        _check_may(user, robot.task_force_id)
        changes = _clean(values, settings, keep=robot)
        if robot.state == "broken" and any(
                k in changes and changes[k] != getattr(robot, k) for k in SECRETS):
            changes.update(state="ok", broken_reason="", broken_at=None)
        return _save(user, robot, changes, "edit", version)


def set_enabled(user, robot_id, enabled, version=None):
    """停用 (nothing more is sent to it; its queue waits) or 启用 a robot."""
    with tx.write():
        robot = _locked(robot_id)
        _check_may(user, robot.task_force_id)
        state = "ok" if enabled else "disabled"
        changes = {"state": state}
        if enabled:
            changes.update(broken_reason="", broken_at=None)
        return _save(user, robot, changes, "enable" if enabled else "disable", version)


def delete(user, robot_id):
    """Delete a robot and its messages (one audit row with what it was, masked)."""
    with tx.write():
        robot = _locked(robot_id)
        _check_may(user, robot.task_force_id)
        before = _audited({"name": robot.name, "kind": robot.kind, "task_force": robot.task_force_id,
                           "webhook_url": robot.webhook_url,
                           "messages": RobotMessage.select().where(RobotMessage.robot == robot.id).count()})
        RobotMessage.delete().where(RobotMessage.robot == robot.id).execute()
        GroupRobot.delete().where(GroupRobot.id == robot.id).execute()
        audit.record(user, "group_robot", robot.id, "delete", before, None)


TEST_TITLE = "测试消息"


def _test_text(robot, user):
    who = str(user) if user is not None else "系统"
    return (f"### {TEST_TITLE}\n招商项目管理系统的机器人“{robot.name}”已连通。\n"
            f"> 发送人：{who}")


def send_test(user, robot_id, settings):
    """"发送测试消息": queue one message to the robot (one audited write) and post it at
    once, whatever the robot's state; the row as it ended (status, last_error). A test
    that the robot took makes a broken robot usable again."""
    with tx.write():
        robot = _locked(robot_id)
        _check_may(user, robot.task_force_id)
        row = RobotMessage.create(robot=robot.id, key=f"test:{secrets.token_hex(8)}", title=TEST_TITLE,
                                  content=_test_text(robot, user), mentions="[]")
        audit.record(user, "group_robot", robot.id, "test_message", None, {"message": row.id})
    delivery.send_one(row.id, settings)
    row = RobotMessage.get_by_id(row.id)
    if row.status == "sent" and robot.state == "broken":
        with tx.write():
            fixed = _locked(robot.id)
            _save(user, fixed, {"state": "ok", "broken_reason": "", "broken_at": None}, "repaired")
    return row
