"""督办 forms; every rule is checked by services.supervision.items."""
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from ...domain import supervision as rules
from ..forms import int_or_none
from ..projects.forms import Choice, DayInput, opts


class OpenForm(FlaskForm):
    title = StringField("标题")
    task_force = Choice("责任专班", coerce=int_or_none)
    project = StringField("项目编号（可不填）")
    responsible = Choice("责任人（可不填）", coerce=int_or_none)
    deadline = DayInput("办理期限")
    priority = Choice("优先级", choices=list(rules.PRIORITIES.items()), default="normal")
    problem = TextAreaField("问题描述")
    instruction = TextAreaField("领导批示（可不填）")
    instruction_by = StringField("批示领导")
    instruction_on = DayInput("批示日期")

    def __init__(self, *args, teams=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.task_force.choices = opts([(t.id, t.name) for t in teams])
        self.responsible.choices = opts([("", "（不指定，专班全体）")] + [(u.id, str(u)) for u in people])

    def values(self):
        names = ("title", "task_force", "project", "responsible", "deadline", "priority", "problem",
                 "instruction", "instruction_by", "instruction_on")
        return {name: self[name].data for name in names}


class ReplyForm(FlaskForm):
    text = TextAreaField("进展反馈")


class CloseForm(FlaskForm):
    note = TextAreaField("办结说明")


class ReopenForm(FlaskForm):
    reason = TextAreaField("退回原因")
