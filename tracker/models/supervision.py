"""督办 items and their thread (tracker/domain/supervision.py; services/supervision)."""
from peewee import AutoField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, utcnow
from .core import Project, TaskForce, User


class SupervisionItem(BaseModel):
    id = AutoField()
    title = CharField(max_length=100)
    problem = TextField()
    project = ForeignKeyField(Project, null=True, backref="supervision_items", on_delete="SET NULL")
    task_force = ForeignKeyField(TaskForce, backref="supervision_items", on_delete="RESTRICT")
    responsible = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    deadline = DateField(index=True)
    priority = CharField(max_length=16, default="normal")
    instruction = TextField(default="")          # 领导批示
    instruction_by = CharField(max_length=64, default="")
    instruction_on = DateField(null=True)
    state = CharField(max_length=16, default="open", index=True)
    opened_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    opened_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)
    last_reply_at = DateTimeField(null=True)
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("task_force", "state"), False),)


class SupervisionReply(BaseModel):
    """One line of an item's thread: a 进展反馈, a 办结 or a 退回 (with its text)."""
    id = AutoField()
    item = ForeignKeyField(SupervisionItem, backref="replies", on_delete="CASCADE")
    kind = CharField(max_length=16)     # reply | close | reopen
    text = TextField()
    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    KINDS = {"reply": "进展反馈", "close": "办结", "reopen": "退回"}

    @property
    def kind_label(self):
        return self.KINDS.get(self.kind, self.kind)
