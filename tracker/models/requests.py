"""更正申请: a write into a closed quarter asked for by a member or a lead
(tracker/domain/closed_periods.py; tracker/services/reviews/requests.py).

The request holds what would be written (``action`` and its arguments as JSON in
``payload``), a readable ``summary``, the earliest closed date it touches and the
requester's reason. It changes nothing until a bureau user approves it (state
``approved``: the write was made then, in the same transaction) or rejects it with a
reason the requester sees (``rejected``). The requester may withdraw a pending one."""
from peewee import AutoField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel, utcnow
from .core import Project, TaskForce, User


class CorrectionRequest(BaseModel):
    id = AutoField()
    project = ForeignKeyField(Project, null=True, backref="correction_requests", on_delete="CASCADE")
    task_force = ForeignKeyField(TaskForce, backref="+", on_delete="CASCADE")
    action = CharField(max_length=16)  # create | update | stage | funds | increase | void
    payload = TextField()  # JSON: the write's arguments
    summary = TextField()
    closed_on = DateField()  # the earliest date of a closed quarter it touches
    reason = TextField()
    state = CharField(max_length=16, default="pending", index=True)
    requested_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    requested_at = DateTimeField(default=utcnow)
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")
    result = TextField(default="")  # what the approved write made, e.g. "阶段记录 #12"

    PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
    STATES = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回", "withdrawn": "已撤回"}
    ACTIONS = {"create": "新建项目", "update": "修改项目", "stage": "阶段变更", "funds": "到位资金",
               "increase": "增资", "void": "作废"}

    class Meta:
        indexes = ((("task_force", "state"), False),)

    @property
    def state_label(self):
        return self.STATES.get(self.state, self.state)

    @property
    def action_label(self):
        return self.ACTIONS.get(self.action, self.action)

    @property
    def pending(self):
        return self.state == self.PENDING
