"""Project ledger use-cases: create and edit projects, move them through the pipeline,
record funds received and capital increases (docs/design.md, The write path).

Each use-case takes a user, a project id and plain values. It checks the input first
(services.ledger.inputs: normalised, bounded, rounded; ValidationError, nothing
written), then opens one transaction, locks the project row and re-reads it, checks
the rules against what it read, writes only the changed columns (and the row's
version + 1), updates the derived figures (first-reached dates, last progress, stale
flags) and writes one audit row. Web forms, CLI and the demo data share these functions.
"""
from peewee import IntegrityError

from ... import clock
from ...domain import money, pipeline, text
from ...domain.errors import STALE_VERSION, NotFound, ValidationError
from ...models import CapitalIncrease, FundReceipt, Project, StageEvent, TaskForce, utcnow
from .. import audit, dataversion, tx
from ..figures import monthly, years
from ..staleness import project as project_stale
from . import amounts, closed, describe
from . import inputs as clean
from .inputs import CURRENCIES

DUPLICATE = "该专班已有同名同投资方的项目。（名称和投资方比较时忽略空格、大小写、全半角和“有限公司”等后缀）"
MISSING = "项目不存在。"
NO_EXPECTED_STAGE = "未说明变更前的阶段（页面上看到的当前阶段），本次未保存：请刷新页面后重试。"


def get_project(project_id):
    """The project with this id (task force joined); NotFound when there is none."""
    try:
        project = Project.get_or_none(Project.id == int(project_id))
    except (TypeError, ValueError, OverflowError):
        project = None
    if project is None:
        raise NotFound(MISSING)
    return project


def _id(project):
    return getattr(project, "id", project)


def lock_project(project_id):
    """The project row locked for update, first in a ledger write (NotFound when none);
    every write to a project (here, corrections) takes it this way."""
    return tx.lock(Project, Project.id == _id(project_id), missing=MISSING)


def save_locked(project, columns):
    """Write ``columns`` of the locked row, with the next version and updated_at; the data
    version (services.dataversion) moves at the commit: the ledger's remembered totals and
    pages count every project write."""
    dataversion.changed()
    project.version += 1
    project.updated_at = utcnow()
    project.save(only=[getattr(Project, c) for c in columns]
                 + [Project.version, Project.updated_at])


def _duplicate(call):
    """Run ``call``; the unique (task force, dedupe key) index refusing a twin is the
    same field message as the check before it (a race lost at commit time)."""
    try:
        return call()
    except IntegrityError as exc:
        raise ValidationError({"name": DUPLICATE}) from exc


def _check_duplicate(errors, team_id, key, exclude_id=None):
    query = Project.select(Project.id).where(
        (Project.task_force == team_id) & (Project.dedupe_key == key))
    if exclude_id is not None:
        query = query.where(Project.id != exclude_id)
    if query.exists():
        errors["name"] = DUPLICATE


# --- create / edit --------------------------------------------------------------

def create_project(user, *, task_force, name, investor="", planned_investment, on=None,
                   stage=pipeline.RESERVE, contract_value=None, signing_grade=None,
                   note="", closed_reason="", **other_fields):
    """Create a project that entered ``stage`` on ``on`` (default today).

    A project created directly at a later stage also reached every stage it skipped
    on that date. Raises ValidationError (nothing written) on bad input. Dated into a
    closed quarter, it follows the closed-period rule (services.ledger.closed): with
    ``closed_reason``, a member's creation returns a filed CorrectionRequest instead.
    """
    errors = {}
    fields = clean.clean_fields(errors, dict(
        other_fields, task_force=task_force, name=name, investor=investor,
        planned_investment=planned_investment, contract_value=contract_value,
        signing_grade=signing_grade))
    day = clean.day(errors, "on", clock.today() if on is None else on, label="日期")
    note = clean.clean_text(errors, "note", note, "说明")
    closed_reason = closed.clean_reason(errors, closed_reason)
    if stage not in pipeline.ORDER:
        errors["stage"] = "新建项目的阶段无效。"
    elif pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED) and not fields["contract_value"] \
            and "contract_value" not in errors:
        errors["contract_value"] = "签约及之后的阶段必须填写签约额（万元）。"
    if errors:
        raise ValidationError(errors)
    return _duplicate(lambda: _insert_project(user, fields, stage, day, note, closed_reason))


def _insert_project(user, fields, stage, day, note, closed_reason=""):
    key = text.duplicate_key(fields["name"], fields["investor"])
    with tx.write():
        # One creator at a time per task force: the duplicate check below sees every
        # committed twin (the unique index is the last word either way).
        tx.lock(TaskForce, TaskForce.id == fields["task_force"].id)
        errors = {}
        _check_duplicate(errors, fields["task_force"].id, key)
        if errors:
            raise ValidationError(errors)
        filed, extra = closed.gate(user, [day], closed_reason, lambda: dict(
            action="create", project=None, task_force=fields["task_force"].id,
            payload=dict(fields, stage=stage, on=day, note=note),
            summary=describe.create(fields, stage, day)))
        if filed:
            return filed
        project = Project(stage=stage, dedupe_key=key, last_progress_on=day, **fields)
        for st, first in pipeline.first_reached_updates({}, stage, day).items():
            setattr(project, pipeline.FIRST_REACHED_FIELD[st], first)
        project.save()
        StageEvent.create(project=project, from_stage=None, stage=stage, occurred_on=day,
                          user=audit.actor(user), note=note or "新建项目")
        monthly.settle(project, {})
        years.sync(project.id)
        audit.record(user, "project", project.id, "create", None, {**audit.snapshot(project), **extra})
    return project


def update_project(user, project, *, version=None, change_kind=None, change_on=None,
                   change_reason="", closed_reason="", **fields):
    """Edit ledger fields of ``project`` (an id). ``version`` is the one the form showed:
    when somebody saved in between, nothing is written. Stage and first-reached dates
    are never touched here. Returns the saved project.

    A change of 计划投资额 or 签约额 says its kind (``change_kind``: ``correction`` 更正 or
    ``change`` 变更, in force from ``change_on``) and ``change_reason``
    (tracker/services/ledger/amounts.py); without them nothing is written. An edit that
    changes a figure of a closed quarter follows the closed-period rule
    (services.ledger.closed; for a member it returns a filed CorrectionRequest)."""
    current = get_project(_id(project))
    if "task_force" in fields and str(_id(fields["task_force"])) == str(current.task_force_id):
        fields.pop("task_force")  # unchanged: allowed even if the team is inactive now
    errors = {}
    cleaned = clean.clean_fields(errors, fields)
    change = amounts.clean_change(errors, change_kind, change_on, change_reason)
    closed_reason = closed.clean_reason(errors, closed_reason)
    if errors:
        raise ValidationError(errors)
    return _duplicate(lambda: _update(user, current.id, version, cleaned, change, closed_reason))


def _update(user, project_id, version, cleaned, change=None, closed_reason=""):
    with tx.write():
        row = lock_project(project_id)
        if version is not None and str(version).strip() != str(row.version):
            raise ValidationError({"version": STALE_VERSION})
        errors = {}
        _check_update(errors, row, cleaned)
        if errors:
            raise ValidationError(errors)
        change = change or {"kind": None, "on": None, "reason": ""}
        changed_amounts = amounts.changed_amounts(row, cleaned)
        amounts.check(row, changed_amounts, change)
        counted = monthly.contribution_of(row)
        before = audit.snapshot(row, list(cleaned))
        for key, value in cleaned.items():
            setattr(row, key, value)
        old, new = audit.changed(before, audit.snapshot(row, list(cleaned)))
        if not new:
            return row
        filed, extra = closed.gate(
            user, closed.update_days(row, counted, new, changed_amounts, change), closed_reason,
            lambda: closed.update_request(row, old, {k: cleaned[k] for k in new}, changed_amounts,
                                          change))
        if filed:
            return filed
        columns = list(new)
        if {"task_force", "name", "investor"} & set(new):
            row.dedupe_key = text.duplicate_key(row.name, row.investor)
            columns.append("dedupe_key")
        save_locked(row, columns)
        monthly.settle(row, counted)
        years.sync(row.id)
        new.update(amounts.record(user, row, changed_amounts, change), **extra)
        audit.record(user, "project", row.id, "update", old, new)
    return row


def _check_update(errors, row, cleaned):
    if {"task_force", "name", "investor"} & set(cleaned):
        team = cleaned.get("task_force") or row.task_force
        key = text.duplicate_key(cleaned.get("name", row.name), cleaned.get("investor", row.investor))
        _check_duplicate(errors, team.id, key, exclude_id=row.id)
    signed = row.stage != pipeline.DROPPED \
        and pipeline.rank(row.stage) >= pipeline.rank(pipeline.SIGNED)
    if signed and "contract_value" in cleaned and not cleaned["contract_value"]:
        errors.setdefault("contract_value", "已签约项目的签约额不能为空。")


# --- stage changes --------------------------------------------------------------

def change_stage(user, project, stage, *, on, note="", contract_value=None, signing_grade=None,
                 reason="", expected_stage=None, closed_reason=""):
    """Move ``project`` (an id) to ``stage`` on date ``on``; returns the StageEvent.

    ``expected_stage`` is the stage the person saw, required from every caller: when
    somebody moved the project in between, nothing is written (two people pressing 推进阶段
    at once make one event, and a 退库 never silently undoes a 开工 or the other way round).
    First-reached dates only ever move earlier and are never cleared, so undo and
    redo never count a project twice; 退库 keeps what the project earned. Dated into a
    closed quarter, it follows the closed-period rule (services.ledger.closed).
    """
    errors = {}
    day = clean.day(errors, "on", on)
    value = clean.amount(errors, "contract_value", contract_value, positive=True, label="签约额")
    note = clean.clean_text(errors, "note", note, "说明")
    reason = clean.clean_text(errors, "reason", reason, "退库原因")
    closed_reason = closed.clean_reason(errors, closed_reason)
    if signing_grade and signing_grade not in pipeline.SIGNING_GRADES:
        errors["signing_grade"] = "签约等级无效。"
    if not expected_stage:
        errors["stage"] = NO_EXPECTED_STAGE
    if errors:
        raise ValidationError(errors)
    with tx.write():
        row = lock_project(project)
        _check_stage(row, stage, expected_stage, note, reason, value)
        filed, extra = closed.gate(user, [day], closed_reason, lambda: dict(
            action="stage", project=row.id, task_force=row.task_force_id,
            payload=dict(stage=stage, on=day, note=note, contract_value=value,
                         signing_grade=signing_grade, reason=reason, expected_stage=row.stage),
            summary=describe.stage(row, stage, day, value, reason)))
        return filed or _move(user, row, stage, day, note, reason, value, signing_grade, extra)


def _check_stage(row, stage, expected_stage, note, reason, value):
    if expected_stage and expected_stage != row.stage:
        raise ValidationError({"stage": f"该项目的阶段刚被他人改为「{pipeline.label(row.stage)}」，"
                                        "本次未保存。请刷新页面后确认是否仍需调整。"})
    check = pipeline.check_move(row.stage, stage, note=note, reason=reason,
                                contract_value=value if value is not None else row.contract_value)
    if check.errors:
        raise ValidationError(check.errors)


def _move(user, row, stage, day, note, reason, value, signing_grade, extra=None):
    before = audit.snapshot(row)
    counted = monthly.contribution_of(row)
    from_stage = row.stage
    row.stage = stage
    columns = ["stage"]
    if stage == pipeline.DROPPED:
        row.drop_reason, columns = reason, columns + ["drop_reason"]
        event_note = f"{reason}（{note}）" if note else reason
    else:
        event_note = note
        if from_stage == pipeline.DROPPED:
            row.drop_reason, columns = "", columns + ["drop_reason"]
        if pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
            if value is not None:
                row.contract_value, columns = value, columns + ["contract_value"]
            if signing_grade:
                row.signing_grade, columns = signing_grade, columns + ["signing_grade"]
    for st, first in pipeline.first_reached_updates(row.first_reached(), stage, day).items():
        setattr(row, pipeline.FIRST_REACHED_FIELD[st], first)
        columns.append(pipeline.FIRST_REACHED_FIELD[st])
    columns += project_stale.progressed(row, day)
    project_stale.unwatched(row)
    save_locked(row, columns)
    event = StageEvent.create(project=row, from_stage=from_stage, stage=stage, occurred_on=day,
                              user=audit.actor(user), note=event_note)
    monthly.settle(row, counted)
    years.sync(row.id)
    old, new = audit.changed(before, audit.snapshot(row))
    audit.record(user, "project", row.id, "stage", old, {**new, **(extra or {})})
    return event


# --- money events -----------------------------------------------------------------

def _usd(errors, amount, original_amount, exchange_rate):
    original = clean.amount(errors, "original_amount", original_amount, required=True,
                            positive=True, label="美元金额")
    rate = clean.exchange_rate(errors, exchange_rate)
    amount = clean.amount(errors, "amount", amount, positive=True, label="到位金额")
    if amount is None and "amount" not in errors and original is not None and rate is not None:
        amount = money.to_decimal(original * rate)
        if amount > money.MAX_WAN:
            errors["amount"] = "折算后的到位金额超出合理范围。"
        elif amount <= 0:   # checked after the conversion: 100 × 0.00001 is 0.00 万元
            errors["amount"] = (f"按汇率折算后的到位金额为 {money.fmt_wan(amount)} 万元（不足 0.01 万元），"
                                "请核对美元金额和汇率。")
    return amount, original, rate


def record_funds(user, project, *, received_on, amount=None, currency="CNY", original_amount=None,
                 exchange_rate=None, source_layer="省外", evidence="", closed_reason=""):
    """到位资金 of ``project`` (an id). ``amount`` is 万元; USD receipts give
    ``original_amount`` in 万美元 and ``exchange_rate`` (元 per US$), and the 万元
    amount is computed when not given."""
    errors = {}
    day = clean.day(errors, "received_on", received_on, label="到位日期")
    currency = text.identifier(currency or "CNY").upper()  # a code: "ＵＳＤ" is "USD"
    if currency not in CURRENCIES:
        errors["currency"] = "币种只能是人民币或美元。"
    if not source_layer:
        errors["source_layer"] = "资金来源未选择：请选择一项。"
    elif source_layer not in FundReceipt.SOURCE_LAYERS:
        errors["source_layer"] = "资金来源层级无效。"
    evidence = clean.clean_text(errors, "evidence", evidence, "凭证说明")
    closed_reason = closed.clean_reason(errors, closed_reason)
    original = rate = None
    if currency == "USD":
        amount, original, rate = _usd(errors, amount, original_amount, exchange_rate)
    else:
        amount = clean.amount(errors, "amount", amount, required=True, positive=True,
                              label="到位金额")
        if original_amount not in (None, "") or exchange_rate not in (None, ""):
            errors.setdefault("currency", "人民币到位资金不填写美元金额和汇率。")
    if errors:
        raise ValidationError(errors)
    with tx.write():
        row = lock_project(project)
        filed, extra = closed.gate(user, [day], closed_reason, lambda: dict(
            action="funds", project=row.id, task_force=row.task_force_id,
            payload=dict(received_on=day, amount=amount if currency == "CNY" else None,
                         currency=currency, original_amount=original, exchange_rate=rate,
                         source_layer=source_layer, evidence=evidence),
            summary=describe.funds(day, amount, currency, original, source_layer)))
        if filed:
            return filed
        counted = monthly.contribution_of(row)
        receipt = FundReceipt.create(
            project=row, received_on=day, amount=amount, currency=currency,
            original_amount=original, exchange_rate=rate, source_layer=source_layer,
            evidence=evidence, user=audit.actor(user))
        save_locked(row, project_stale.progressed(row, day))
        monthly.settle(row, counted)
        years.sync(row.id)
        audit.record(user, "fund_receipt", receipt.id, "create", None,
                     {**audit.snapshot(receipt), **extra})
    return receipt


def add_capital_increase(user, project, *, on, amount, note="", closed_reason=""):
    """增资 of a signed project (an id): its own dated event, counted on ``on`` only."""
    errors = {}
    day = clean.day(errors, "on", on, label="增资日期")
    amount = clean.amount(errors, "amount", amount, required=True, positive=True,
                          label="增资金额")
    note = clean.clean_text(errors, "note", note, "说明")
    closed_reason = closed.clean_reason(errors, closed_reason)
    if errors:
        raise ValidationError(errors)
    with tx.write():
        row = lock_project(project)
        _check_increase(row, day)
        filed, extra = closed.gate(user, [day], closed_reason, lambda: dict(
            action="increase", project=row.id, task_force=row.task_force_id,
            payload=dict(on=day, amount=amount, note=note), summary=describe.increase(day, amount)))
        if filed:
            return filed
        counted = monthly.contribution_of(row)
        increase = CapitalIncrease.create(project=row, occurred_on=day, amount=amount,
                                          note=note, user=audit.actor(user))
        save_locked(row, project_stale.progressed(row, day))
        monthly.settle(row, counted)
        years.sync(row.id)
        audit.record(user, "capital_increase", increase.id, "create", None,
                     {**audit.snapshot(increase), **extra})
    return increase


def _check_increase(row, day):
    if row.signed_on is None:
        raise ValidationError({"amount": "只有已签约的项目才能登记增资。"})
    if row.stage == pipeline.DROPPED:
        raise ValidationError({"amount": "已退库项目不能登记增资。"})
    if day < row.signed_on:
        raise ValidationError({"on": f"增资日期不能早于签约日期 {row.signed_on.isoformat()}。"})
