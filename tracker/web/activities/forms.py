"""WTForms of the follow-up log. They parse what was typed; every rule is checked by
services.activities.log, whose messages go next to these fields."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms import Form

from ... import clock
from ...domain import activities as rules
from ...services.ledger.listing import TAGS
from ..forms import int_or_none
from ..projects.forms import CheckboxList, Choice, DayInput, opts


class ActivityForm(FlaskForm):
    version = HiddenField()
    task_force = Choice("专班", coerce=int_or_none)
    kind = Choice("跟进方式", choices=list(rules.KINDS.items()))
    occurred_on = DayInput("日期", default=clock.today)
    counterpart = StringField("对接企业")
    projects = SelectMultipleField("涉及项目", coerce=int_or_none)
    summary = TextAreaField("跟进内容")
    region = Choice("目标区域", default="")
    counterpart_tags = CheckboxList("对方标签", choices=[(t, t) for t in TAGS])
    place = StringField("地点")
    leader_led = BooleanField("市领导带队")
    leader_title = StringField("带队领导职务")
    participants = CheckboxList("我方参加人员", coerce=int_or_none)
    participants_text = StringField("其他参加人员")
    outcome = Choice("成效", choices=list(rules.OUTCOMES.items()), default="advance")
    next_step = TextAreaField("下一步")
    next_step_on = DayInput("下一步日期")
    closed_reason = TextAreaField("补录原因 / 更正申请理由")

    def __init__(self, *args, teams=(), projects=(), people=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.task_force.choices = opts([(t.id, t.name) for t in teams])
        self.projects.choices = opts([(p.id, p.name) for p in projects])
        self.participants.choices = opts([(u.id, str(u)) for u in people])
        self.region.choices = opts([("", "（未指定）")] + [(r, r) for r in regions])

    def values(self):
        names = ("task_force", "kind", "occurred_on", "counterpart", "projects", "summary", "region",
                 "counterpart_tags", "place", "leader_led", "leader_title", "participants",
                 "participants_text", "outcome", "next_step", "next_step_on")
        return {name: self[name].data for name in names}


class VoidForm(FlaskForm):
    reason = TextAreaField("作废原因")


class FilterForm(Form):
    task_force = Choice("专班", coerce=int_or_none)
    kind = Choice("跟进方式", choices=[("", "全部")] + list(rules.KINDS.items()), default="")
    region = Choice("目标区域", default="")
    tier = Choice("对方标签", choices=[("", "全部")] + [(t, t) for t in TAGS], default="")
    leader_led = BooleanField("仅市领导带队")
    date_from = DayInput("起始日期")
    date_to = DayInput("截止日期")
    q = StringField("关键词")

    def __init__(self, formdata, teams=(), regions=()):
        super().__init__(formdata)
        self.task_force.choices = opts([("", "全部专班")] + [(t.id, t.name) for t in teams])
        self.region.choices = opts([("", "全部")] + [(r, r) for r in regions])
