"""A project's page: its merged timeline (stage events, capital increases, fund receipts,
amount changes) and the money totals of its receipts and increases."""
from peewee import JOIN

from ...domain import money, pipeline
from ...models import CapitalIncrease, FundReceipt, StageEvent, User
from . import amounts


def _void_info(row, users):
    """Who voided ``row``, when and why (all None/"" when it counts)."""
    return {"id": row.id, "voided": row.voided, "voided_at": row.voided_at,
            "voided_by": users.get(row.voided_by_id), "void_reason": row.void_reason}


def _stage_title(e):
    if e.from_stage is None:
        return f"录入项目，阶段「{pipeline.label(e.stage)}」"
    return f"{pipeline.label(e.from_stage)} → {pipeline.label(e.stage)}"


def _amount_title(c):
    def show(value):
        return "（空）" if value is None else f"{money.fmt_wan(value)} 万元"
    effect = f"，自 {c.effective_on.isoformat()} 起" if c.effective_on else "，各日期均按新值"
    return f"{c.field_label}{c.kind_label}：{show(c.old_value)} → {show(c.new_value)}{effect}"


def timeline(project):
    """Stage events, capital increases, fund receipts and amount changes (更正/变更),
    merged by date (newest first). Voided rows stay, marked ``voided`` with who/when/why."""
    rows = {kind: list(model.select(model, User).join(User, JOIN.LEFT_OUTER)
                       .where(model.project == project))
            for kind, model in (("stage", StageEvent), ("increase", CapitalIncrease),
                                ("funds", FundReceipt))}
    voiders = {r.voided_by_id for kind_rows in rows.values() for r in kind_rows if r.voided_by_id}
    users = {u.id: u for u in User.select().where(User.id.in_(list(voiders)))} if voiders else {}
    items = []
    for e in rows["stage"]:
        items.append(dict(_void_info(e, users), on=e.occurred_on, kind="stage", stage=e.stage,
                          title=_stage_title(e), note=e.note, user=e.user,
                          created_at=e.created_at))
    for c in rows["increase"]:
        items.append(dict(_void_info(c, users), on=c.occurred_on, kind="increase",
                          title=f"增资 {money.fmt_wan(c.amount)} 万元", note=c.note,
                          user=c.user, created_at=c.created_at))
    for r in rows["funds"]:
        items.append(dict(_void_info(r, users), on=r.received_on, kind="funds",
                          title=f"资金到位 {money.fmt_wan(r.amount)} 万元（{r.source_layer}）",
                          note=r.evidence, user=r.user, created_at=r.created_at))
    for c in amounts.history(project):
        items.append({"on": c.effective_on or c.recorded_on, "kind": "amount", "id": c.id,
                      "title": _amount_title(c), "note": c.reason, "user": c.user,
                      "created_at": c.created_at, "voided": False})
    items.sort(key=lambda i: (i["on"], i["created_at"]), reverse=True)
    return items


def funds(project):
    """Fund receipts (newest first, voided ones too) and the totals of those that count,
    in 万元."""
    receipts = list(FundReceipt.select().where(FundReceipt.project == project)
                    .order_by(FundReceipt.received_on.desc(), FundReceipt.id.desc()))
    by_layer = {}
    counted = [r for r in receipts if not r.voided]
    for r in counted:
        by_layer[r.source_layer] = by_layer.get(r.source_layer, money.to_decimal(0)) + r.amount
    total = sum((r.amount for r in counted), money.to_decimal(0))
    return receipts, {"total": total, "by_layer": by_layer}


def capital_increases(project):
    """Capital increases (newest first, voided ones too) and the total of those that count."""
    rows = list(CapitalIncrease.select().where(CapitalIncrease.project == project)
                .order_by(CapitalIncrease.occurred_on.desc(), CapitalIncrease.id.desc()))
    return rows, sum((r.amount for r in rows if not r.voided), money.to_decimal(0))

