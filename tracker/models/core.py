"""Ledger models: counties, task forces, users, projects and their history."""
from flask import current_app, has_app_context
from flask_login import UserMixin
from peewee import (
    AutoField, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
    IntegerField, TextField,
)
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain import pipeline
from ..domain.accounts import ROLES
from .base import BaseModel, MoneyField, utcnow



class County(BaseModel):
    """A county (区县) or development zone (开发区)."""
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=64, unique=True)
    kind = CharField(max_length=16, default="county")  # county | zone
    active = BooleanField(default=True)

    KINDS = {"county": "区县", "zone": "开发区"}

    def __str__(self):
        return self.name


class TaskForce(BaseModel):
    """招商专班."""
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100, unique=True)
    industry = CharField(max_length=64, default="")
    lead_department = CharField(max_length=100, default="")
    leader = CharField(max_length=64, default="")
    kind = CharField(max_length=8, default="6")  # "6": key industry, "N": county/enterprise
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    KINDS = {"6": "重点产业专班", "N": "区县/企业专班"}

    def __str__(self):
        return self.name


class TaskForceCounty(BaseModel):
    id = AutoField()
    task_force = ForeignKeyField(TaskForce, backref="county_links", on_delete="CASCADE")
    county = ForeignKeyField(County, backref="task_force_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("task_force", "county"), True),)


class User(UserMixin, BaseModel):
    id = AutoField()
    username = CharField(max_length=64, unique=True)
    display_name = CharField(max_length=64, default="")
    email = CharField(max_length=254, default="")
    password_hash = CharField(max_length=256)
    role = CharField(max_length=16, default="member")
    active = BooleanField(default=True)
    wants_summary = BooleanField(default=True)
    # 督办 reminders (issue 22, migration 0034): by e-mail (default on), whether the team's group
    # robot may @ them, by this mainland mobile number (stored only when given).
    remind_email = BooleanField(default=True)
    robot_mention = BooleanField(default=False)
    mobile = CharField(max_length=11, null=True)
    created_at = DateTimeField(default=utcnow)
    # Set by an admin's password reset (or a created account's temporary password): until the
    # user chooses a password, every page but /account/password and logout sends them there.
    must_change_password = BooleanField(default=False)

    class Meta:
        table_name = "app_user"  # "user" is reserved in PostgreSQL

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_active(self):
        return self.active

    def set_password(self, password):
        # PASSWORD_HASH_METHOD: werkzeug's default (scrypt) unless configured;
        # the test suite uses a cheap method so thousands of logins stay fast.
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, **({"method": method} if method else {}))

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    @property
    def sees_all(self):
        """Bureau and admin users edit every task force's projects."""
        return self.role in ("admin", "bureau")

    def task_force_ids(self):
        return {m.task_force_id for m in Membership.select(Membership.task_force)
                .where(Membership.user == self)}

    def can_edit_task_force(self, task_force_id):
        return self.sees_all or task_force_id in self.task_force_ids()


class Membership(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    task_force = ForeignKeyField(TaskForce, backref="memberships", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "task_force"), True),)


class Project(BaseModel):
    """One investment project in the ledger (台账). Amounts in 万元."""
    id = AutoField()
    name = CharField(max_length=200)
    task_force = ForeignKeyField(TaskForce, backref="projects", on_delete="RESTRICT")
    county = ForeignKeyField(County, backref="projects", null=True, on_delete="SET NULL")
    investor = CharField(max_length=200, default="")
    investor_region = CharField(max_length=32, default="")
    capital_type = CharField(max_length=16, default="domestic")  # domestic | foreign
    industry = CharField(max_length=64, default="")
    tags = CharField(max_length=200, default="")  # comma separated: 世界500强,央企,...
    planned_investment = MoneyField(default=0)
    contract_value = MoneyField(null=True)
    signing_grade = CharField(max_length=16, null=True)
    expected_sign_date = DateField(null=True)
    stage = CharField(max_length=16, default=pipeline.RESERVE, index=True)
    drop_reason = TextField(default="")
    owner = ForeignKeyField(User, backref="owned_projects", null=True, on_delete="SET NULL")
    contact = CharField(max_length=200, default="")
    next_step = TextField(default="")
    problems = TextField(default="")
    last_progress_on = DateField(null=True, index=True)
    # First date the project reached (or skipped past) each stage; never cleared.
    packaged_on = DateField(null=True, index=True)
    negotiating_on = DateField(null=True, index=True)
    signed_on = DateField(null=True, index=True)
    started_on = DateField(null=True, index=True)
    producing_on = DateField(null=True, index=True)
    at_capacity_on = DateField(null=True, index=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)   # default ledger sort (index below)
    # Incremented by every write; an edit form carries it and a stale one is refused.
    version = IntegerField(default=1)
    # domain.text.duplicate_key(name, investor): look-alike twins share it.
    dedupe_key = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("task_force", "dedupe_key"), True),
                   (("stage", "expected_sign_date"), False),   # the forecast pipeline
                   (("task_force", "last_progress_on", "id"), False),   # a team's latest
                   # the ledger's orders: a column, then id (pages and cursors)
                   (("updated_at", "id"), False),          # 最近更新 (the default)
                   (("planned_investment", "id"), False))  # 计划投资额

    CAPITAL_TYPES = {"domestic": "内资", "foreign": "外资"}
    REGIONS = ("京津冀", "长三角", "珠三角", "日韩", "欧洲", "香港", "央企", "省内", "其他")
    TAGS = ("世界500强", "中国500强", "央企", "民营500强", "专精特新", "上市公司", "外资")

    def __str__(self):
        return self.name

    @property
    def stage_label(self):
        return pipeline.label(self.stage)

    @property
    def tag_list(self):
        return [t for t in (self.tags or "").split(",") if t]

    def first_reached(self):
        return {stage: getattr(self, field)
                for stage, field in pipeline.FIRST_REACHED_FIELD.items()}


class Voidable:
    """Rows that can be voided (作废): they keep ``voided_at``/``voided_by``/``void_reason``,
    stay visible and stop counting (docs/design.md, Corrections)."""

    @property
    def voided(self):
        return self.voided_at is not None

    @classmethod
    def counted(cls):
        """Condition of the rows that count: those not voided."""
        return cls.voided_at.is_null()


class StageEvent(Voidable, BaseModel):
    """Dated history of the pipeline: one row per stage change."""
    id = AutoField()
    project = ForeignKeyField(Project, backref="stage_events", on_delete="CASCADE")
    from_stage = CharField(max_length=16, null=True)
    stage = CharField(max_length=16)
    occurred_on = DateField(index=True)   # ledger year filter
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    note = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    # 作废 (void): the row stays, struck through, and stops counting (docs/design.md,
    # Corrections); who, when and why it was voided.
    voided_at = DateTimeField(null=True)
    voided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    void_reason = TextField(default="")

    class Meta:
        indexes = ((("project", "occurred_on"), False),
                   (("stage", "occurred_on", "id"), False))   # a week's signings (本周动态)

    @property
    def stage_label(self):
        return pipeline.label(self.stage)


class CapitalIncrease(Voidable, BaseModel):
    """增资: a dated increase of a signed project's contract value (counts on its own date)."""
    id = AutoField()
    project = ForeignKeyField(Project, backref="capital_increases", on_delete="CASCADE")
    occurred_on = DateField(index=True)
    amount = MoneyField()
    note = TextField(default="")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    # 作废 (void): the row stays, struck through, and stops counting (docs/design.md,
    # Corrections); who, when and why it was voided.
    voided_at = DateTimeField(null=True)
    voided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    void_reason = TextField(default="")


class FundReceipt(Voidable, BaseModel):
    """到位资金: funds actually received. ``amount`` is always 万元 (CNY)."""
    id = AutoField()
    project = ForeignKeyField(Project, backref="fund_receipts", on_delete="CASCADE")
    received_on = DateField(index=True)
    amount = MoneyField()
    currency = CharField(max_length=3, default="CNY")  # CNY | USD
    original_amount = MoneyField(null=True)  # 万美元 for USD receipts
    exchange_rate = MoneyField(null=True, max_digits=10, decimal_places=4)
    source_layer = CharField(max_length=16, default="省外")  # 省外 | 市外省内 | 境外
    evidence = TextField(default="")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    # 作废 (void): the row stays, struck through, and stops counting (docs/design.md,
    # Corrections); who, when and why it was voided.
    voided_at = DateTimeField(null=True)
    voided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    void_reason = TextField(default="")

    SOURCE_LAYERS = ("省外", "市外省内", "境外")


class AmountChange(BaseModel):
    """A change of a project's 计划投资额 or 签约额 made in 编辑项目 (docs/design.md,
    Corrections). 更正 (``correction``) fixes a typing mistake: the new value holds for
    every date. 变更 (``change``) is a real change in force from ``effective_on``:
    dates before it keep ``old_value``."""
    id = AutoField()
    project = ForeignKeyField(Project, backref="amount_changes", on_delete="CASCADE")
    field_name = CharField(max_length=32)  # planned_investment | contract_value
    kind = CharField(max_length=16)  # correction | change
    effective_on = DateField(null=True)  # 变更 only
    recorded_on = DateField()  # local date the change was entered
    old_value = MoneyField(null=True)
    new_value = MoneyField(null=True)
    reason = TextField(default="")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("project", "field_name", "effective_on"), False),)

    KINDS = {"correction": "更正", "change": "变更"}
    FIELDS = {"planned_investment": "计划投资额", "contract_value": "签约额"}

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)

    @property
    def field_label(self):
        return self.FIELDS.get(self.field_name, self.field_name)


class AuditLog(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=utcnow, index=True)
    entity = CharField(max_length=32)
    entity_id = IntegerField(null=True)
    action = CharField(max_length=32)
    before = TextField(default="")  # JSON
    after = TextField(default="")   # JSON
    origin = CharField(max_length=64, default="")  # client address, "cli" or "scheduler"

    class Meta:
        indexes = ((("entity", "entity_id"), False),)
