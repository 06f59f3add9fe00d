"""The audit page (bureau/admin): every audit row, newest first, one page at a time,
filtered by user, entity, entity id, action and a range of local dates; each row with its
changes as "field: before → after" (zh-CN labels of services.ledger.history for the
project's rows). Also the login history of services.accounts.throttle, per user."""
import datetime
from dataclasses import dataclass, field

from peewee import JOIN

from ... import clock
from ...domain import metrics
from ...models import AuditLog, CapitalIncrease, FundReceipt, User
from ...domain.accounts import ROLES
from ..ledger import history as project_history
from . import throttle
from ..pagination import paginate

PER_PAGE = 50
LOGIN_LIMIT = 200
MAX_ID = 2**31 - 1
OLDEST_YEAR = 2000

ENTITY_LABELS = dict(
    project_history.ENTITIES, target="专班目标", county_target="区县目标",
    checkpoint_share="节点比例", task_force="招商专班", county="区县/开发区", user="用户",
    api_token="API 令牌", user_session="登录会话", login_history="登录记录",
    outbox_message="周报邮件", outbox="周报发件箱", job_run="定时任务",
    correction_request="更正申请", activity="跟进记录", bulletin_note="通报下步要求",
    supervision_item="督办事项",
)
ACTION_LABELS = dict(
    project_history.ACTIONS, set="设置", edit="编辑", activate="启用", deactivate="停用",
    reset_password="重置密码", change_password="修改密码", revoke="吊销", take_over="接管",
    test="测试发送", retry_now="立即重试", resend="重新发送", confirm_delivered="确认送达",
    summary_prefs="周报设置", unsubscribe="退订周报", end="结束", end_sessions="结束全部会话",
    unlock="解除登录锁定", prune="清理", approve="审核通过", reject="驳回", withdraw="撤回",
    reply="进展反馈", close="办结", reopen="退回",
)
# Labels of the other entities' fields (the project's come from project_history).
OTHER_LABELS = {
    "username": "用户名", "display_name": "姓名", "email": "邮箱", "role": "角色",
    "active": "启用", "must_change": "须修改密码", "task_forces": "所属专班",
    "wants_summary": "接收周报", "user": "用户", "name": "名称", "hint": "令牌尾号",
    "expires_at": "到期时间", "revoked_at": "吊销时间", "code": "代码", "industry": "产业",
    "kind": "类型", "lead_department": "牵头部门", "leader": "负责人", "counties": "区县",
    "members": "成员", "task_force": "专班", "county": "区县/开发区", "year": "年度",
    "metric": "指标", "value": "目标值", "version": "版本", "reason": "原因", "base": "基数",
    "growth_pct": "增长率（%）", "shares": "节点比例", "status": "状态", "outcome": "结果",
    "attempts": "尝试次数", "host": "主机", "pid": "进程", "job": "任务",
    "period_key": "周期", "started_at": "开始时间", "heartbeat_at": "心跳时间",
    "rows": "条数", "sessions_ended": "结束的会话数", "api_revoked": "吊销的 API 令牌数",
    "ended_at": "结束时间", "live_sessions": "有效会话数", "locked_addresses": "被锁定的地址",
    "failures": "失败次数", "attempts_before": "清理此前的登录记录",
    "sessions_before": "清理此前结束的会话",
}
# Never shown, whatever an audit row holds.
SECRET_PARTS = ("password", "hash", "secret", "token")


@dataclass(frozen=True)
class Row:
    at: datetime.datetime
    user: object        # User or None (a job, a command without a user)
    origin: str
    entity: str         # the key (project, user, ...)
    entity_label: str
    entity_id: object
    project_id: object  # the project to link to (a project's or its receipt's), or None
    action: str
    changes: list


@dataclass
class Listing:
    page: object                       # pagination.Page of Row
    filters: dict                      # the filters in force (ignored ones removed)
    messages: list = field(default_factory=list)


def _user_named(name):
    return User.get_or_none(User.username == name) if name else None


def _check(filters):
    """The usable filters and a message for each one ignored."""
    kept, messages = dict(filters), []
    if kept.get("user") and _user_named(kept["user"]) is None:
        messages.append(f"没有用户名为「{kept.pop('user')}」的用户，已忽略该条件。")
    if kept.get("entity_id") is not None and not 0 < kept["entity_id"] <= MAX_ID:
        messages.append("编号超出范围，已忽略该条件。")
        kept.pop("entity_id")
    last = clock.today().year + 1
    for key, text in (("start", "开始日期"), ("end", "结束日期")):
        if kept.get(key) is not None and not OLDEST_YEAR <= kept[key].year <= last:
            messages.append(f"{text}超出范围（{OLDEST_YEAR}–{last} 年），已忽略该条件。")
            kept.pop(key)
    if kept.get("start") and kept.get("end") and kept["start"] > kept["end"]:
        messages.append("开始日期晚于结束日期，已忽略日期条件。")
        kept.pop("start"), kept.pop("end")
    return {k: v for k, v in kept.items() if v not in (None, "")}, messages


def _query(filters):
    query = AuditLog.select(AuditLog, User).join(User, JOIN.LEFT_OUTER)
    if filters.get("user"):
        query = query.where(AuditLog.user == _user_named(filters["user"]).id)
    if filters.get("entity"):
        query = query.where(AuditLog.entity == filters["entity"])
    if filters.get("entity_id"):
        query = query.where(AuditLog.entity_id == filters["entity_id"])
    if filters.get("action"):
        query = query.where(AuditLog.action == filters["action"])
    if filters.get("start"):
        query = query.where(AuditLog.at >= clock.local_midnight_utc(filters["start"]))
    if filters.get("end"):
        end = filters["end"] + datetime.timedelta(days=1)
        query = query.where(AuditLog.at < clock.local_midnight_utc(end))
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def listing(filters, page=1, per_page=PER_PAGE):
    """One page of audit rows matching ``filters`` (user: user name, entity, entity_id,
    action, start/end: local dates; missing or empty = no filter). A filter that cannot
    apply (unknown user, id out of range, dates out of range or reversed) is dropped with a
    message."""
    kept, messages = _check(filters)
    found = paginate(_query(kept), page, per_page)
    names = project_history.reference_names(found.rows)
    projects = _projects_of(found.rows)
    rows = [_row(log, names, projects) for log in found.rows]
    return Listing(page=found.__class__(rows=rows, page=found.page, pages=found.pages,
                                        total=found.total, per_page=found.per_page),
                   filters=kept, messages=messages)


def _projects_of(logs):
    """{(entity, id): project id} of the receipts and increases among ``logs``."""
    out = {}
    for entity, model in (("fund_receipt", FundReceipt), ("capital_increase", CapitalIncrease)):
        ids = {log.entity_id for log in logs if log.entity == entity and log.entity_id}
        if ids:
            out.update({(entity, r.id): r.project_id
                        for r in model.select(model.id, model.project).where(model.id.in_(ids))})
    return out


def _secret(key):
    return any(part in key.lower() for part in SECRET_PARTS)


NONE = "（无）"   # a value that was not set, in words (never "None")


def _show(entity, key, value, names):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    if entity not in project_history.ENTITIES:
        if value is None:
            return NONE
        if key == "role":
            return ROLES.get(value, value)
        if key == "metric":
            return metrics.label(value)
    return project_history.shown(key, value, names)


def _changes(log, names):
    before, after = project_history.load_values(log.before), project_history.load_values(log.after)
    ours = log.entity in project_history.ENTITIES
    labels = project_history.FIELD_LABELS if ours else OTHER_LABELS
    hidden = project_history.HIDDEN if ours else {"id"}
    keys = [k for k in list(after) + [k for k in before if k not in after]
            if k not in hidden and not _secret(k)]
    if log.action == "create":  # a whole new row: only what was filled in
        keys = [k for k in keys if after.get(k) not in (None, "", 0, "0", "0.00", [])]
    return [project_history.Change(labels.get(k, k), _show(log.entity, k, before.get(k), names),
                                   _show(log.entity, k, after.get(k), names)) for k in keys]


def _row(log, names, projects):
    project_id = log.entity_id if log.entity == "project" else projects.get(
        (log.entity, log.entity_id))
    return Row(at=log.at, user=log.user, origin=log.origin or "", entity=log.entity,
               entity_label=ENTITY_LABELS.get(log.entity, log.entity),
               entity_id=log.entity_id, project_id=project_id,
               action=ACTION_LABELS.get(log.action, log.action),
               changes=_changes(log, names))


@dataclass
class Logins:
    rows: list          # LoginAttempt rows, the latest first
    user: object        # the user shown, or None for everyone
    limit: int
    messages: list = field(default_factory=list)


def logins(username=""):
    """The latest LOGIN_LIMIT login attempts of the user named ``username`` (of everyone
    when empty; an unknown name is ignored with a message)."""
    user = _user_named(username)
    messages = []
    if username and user is None:
        messages.append(f"没有用户名为「{username}」的用户，已显示全部登录记录。")
    rows = throttle.history(user_id=user.id if user else None, limit=LOGIN_LIMIT)
    return Logins(rows=rows, user=user, limit=LOGIN_LIMIT, messages=messages)
