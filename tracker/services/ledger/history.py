"""A project's own audit trail, for its page: who, when, from where, and each changed
field as before → after with zh-CN labels, newest first, one page at a time. It covers
the project's rows and those of its fund receipts and capital increases."""
import datetime
import json
from dataclasses import dataclass

from peewee import JOIN

from ...domain import money, pipeline
from ...models import AuditLog, CapitalIncrease, County, FundReceipt, Project, TaskForce, User
from ..pagination import paginate
from .amounts import KINDS as CHANGE_KINDS
from .inputs import LABELS

ACTIONS = {"create": "新建", "update": "编辑", "stage": "阶段变更", "void": "作废",
           "repair": "夜间校正", "import": "导入"}
ENTITIES = {"project": "项目", "fund_receipt": "到位资金", "capital_increase": "增资"}
FIELD_LABELS = dict(
    LABELS, stage="阶段", drop_reason="退库原因", last_progress_on="最近进展日期",
    packaged_on="策划包装日期", negotiating_on="洽谈日期", signed_on="签约日期",
    started_on="开工日期", producing_on="投产日期", at_capacity_on="达产日期",
    created_at="创建时间", updated_at="更新时间", amount="金额（万元）", received_on="到位日期",
    occurred_on="日期", currency="币种", original_amount="原币金额", exchange_rate="汇率",
    closed_reason="补录原因",
    source_layer="资金来源", evidence="佐证材料", note="说明", user="录入人",
    change_kind="修改类型", change_on="变更生效日期", change_reason="修改原因",
    voided="作废记录", void_reason="作废原因",
)
HIDDEN = {"id", "project", "version", "dedupe_key", "created_at", "updated_at", "voided_at",
          "voided_by"}
MONEY = {"planned_investment", "contract_value", "amount", "original_amount"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    at: datetime.datetime
    user: object
    origin: str
    action: str
    entity: str
    changes: list


def load_values(raw):
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _names(model, ids):
    ids = [int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())]
    if not ids:
        return {}
    return {row.id: str(row) for row in model.select().where(model.id.in_(ids))}


def shown(key, value, names):
    if value is None or value == "":
        return "—"
    if key == "stage":
        return pipeline.label(value)
    if key in names:
        return names[key].get(int(value) if str(value).isdigit() else value, str(value))
    if key in MONEY:
        try:
            return money.fmt_wan(money.to_decimal(value))
        except (ValueError, ArithmeticError):
            return str(value)
    if key == "change_kind":
        return CHANGE_KINDS.get(value, value)
    if key == "signing_grade":
        return pipeline.SIGNING_GRADES.get(value, value)
    if key == "capital_type":
        return Project.CAPITAL_TYPES.get(value, value)
    return str(value)


def _entry(log, names):
    before, after = load_values(log.before), load_values(log.after)
    keys = [k for k in list(after) + [k for k in before if k not in after] if k not in HIDDEN]
    if log.action == "create":  # a whole new row: only what was filled in
        keys = [k for k in keys if after.get(k) not in (None, "", 0, "0", "0.00")]
    changes = [Change(FIELD_LABELS.get(k, k), shown(k, before.get(k), names),
                      shown(k, after.get(k), names)) for k in keys]
    return Entry(at=log.at, user=log.user, origin=log.origin or "",
                 action=ACTIONS.get(log.action, log.action),
                 entity=ENTITIES.get(log.entity, log.entity), changes=changes)


def reference_names(logs):
    wanted = {"task_force": set(), "county": set(), "owner": set(), "user": set()}
    for log in logs:
        for data in (load_values(log.before), load_values(log.after)):
            for key in wanted:
                if data.get(key) is not None:
                    wanted[key].add(data[key])
    return {"task_force": _names(TaskForce, wanted["task_force"]),
            "county": _names(County, wanted["county"]),
            "owner": _names(User, wanted["owner"]), "user": _names(User, wanted["user"])}


def history(project, page=1, per_page=20):
    """One page (pagination.Page, rows: Entry) of the audit rows about ``project``."""
    pid = getattr(project, "id", project)
    query = (AuditLog.select(AuditLog, User).join(User, JOIN.LEFT_OUTER)
             .where(((AuditLog.entity == "project") & (AuditLog.entity_id == pid))
                    | ((AuditLog.entity == "fund_receipt") & AuditLog.entity_id.in_(
                        FundReceipt.select(FundReceipt.id).where(FundReceipt.project == pid)))
                    | ((AuditLog.entity == "capital_increase") & AuditLog.entity_id.in_(
                        CapitalIncrease.select(CapitalIncrease.id)
                        .where(CapitalIncrease.project == pid))))
             .order_by(AuditLog.at.desc(), AuditLog.id.desc()))
    result = paginate(query, page, per_page)
    names = reference_names(result.rows)
    return result.__class__(rows=[_entry(log, names) for log in result.rows], page=result.page,
                            pages=result.pages, total=result.total, per_page=result.per_page)
