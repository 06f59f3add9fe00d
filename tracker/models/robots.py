"""Group robots (企业微信群机器人 / 钉钉自定义机器人) and their outbox (services/robots).

The webhook URL and the DingTalk signing secret are secrets: stored here in full, shown
masked (services/robots/masking), never written to the audit log, logs or exports.
"""
from peewee import (
    AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField,
)

from .base import BaseModel, utcnow
from .core import TaskForce, User


class GroupRobot(BaseModel):
    """One group's robot; ``task_force`` None = a robot of the bureau (全市)."""
    id = AutoField()
    task_force = ForeignKeyField(TaskForce, null=True, backref="robots", on_delete="CASCADE")
    kind = CharField(max_length=16)              # wecom | dingtalk
    name = CharField(max_length=64)
    webhook_url = CharField(max_length=1000)
    secret = CharField(max_length=200, default="")   # dingtalk signing secret (SEC...)
    state = CharField(max_length=16, default="ok", index=True)   # ok | broken | disabled
    broken_reason = TextField(default="")
    broken_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    version = IntegerField(default=1)

    class Meta:
        table_name = "group_robot"

    KINDS = {"wecom": "企业微信群机器人", "dingtalk": "钉钉自定义机器人"}
    STATES = {"ok": "正常", "broken": "地址失效", "disabled": "已停用"}

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)

    @property
    def state_label(self):
        return self.STATES.get(self.state, self.state)


class RobotMessage(BaseModel):
    """One markdown message to one robot. Life cycle and ``outcome`` as OutboxMessage's:
    pending -> sending (claimed) -> sent | failed (outcome unknown = 状态未知) | cancelled."""
    id = AutoField()
    robot = ForeignKeyField(GroupRobot, backref="messages", on_delete="CASCADE")
    key = CharField(max_length=120)              # dedupe per robot: "weekly:2026-W26", ...
    title = CharField(max_length=120)
    content = TextField()                        # markdown as sent, already cut to size
    link = CharField(max_length=500, default="")
    mentions = TextField(default="[]")           # JSON list of mobile numbers to @
    status = CharField(max_length=16, default="pending", index=True)
    outcome = CharField(max_length=16, default="")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True, index=True)
    claimed_at = DateTimeField(null=True)
    claim_token = CharField(max_length=32, null=True)
    last_error = TextField(default="")
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "robot_message"
        indexes = ((("robot", "key"), True),)

    STATUSES = {"pending": "待发送", "sending": "发送中", "sent": "已发送",
                "failed": "发送失败", "cancelled": "已取消"}
    UNKNOWN, CONFIRMED = "unknown", "confirmed"
    QUALIFIED = {("failed", UNKNOWN): "状态未知", ("sent", CONFIRMED): "已确认送达"}

    @property
    def status_label(self):
        return (self.QUALIFIED.get((self.status, self.outcome))
                or self.STATUSES.get(self.status, self.status))
