"""WTForms for creating and editing task forces: parsing only.

Choices come from services.taskforces.teams; the code's format, lengths and duplicate code or
name are checked by services.taskforces.teams.save_task_force, whose messages the view puts
next to these fields (web.forms.apply_errors).
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from ...services.taskforces.teams import KINDS


class CheckboxList(SelectMultipleField):
    """A multi-select shown as a list of checkboxes (easier than ctrl-click)."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TaskForceForm(FlaskForm):
    code = StringField("专班编码")
    name = StringField("专班名称")
    kind = SelectField("类别", choices=[SelectChoice(k, v) for k, v in KINDS.items()],
                       invalid_choice_message="请选择有效的专班类别。")
    industry = StringField("产业方向")
    lead_department = StringField("牵头部门")
    leader = StringField("专班负责人（领导）")
    active = BooleanField("启用", default=True)
    counties = CheckboxList("对接区县/开发区", coerce=int,
                            invalid_value_message="区县选择无效。",
                            invalid_choice_message="所选区县不存在：%(value)s。")
    members = CheckboxList("专班成员（登录账号）", coerce=int,
                           invalid_value_message="成员选择无效。",
                           invalid_choice_message="所选用户不存在或已停用：%(value)s。")

    def __init__(self, *args, county_choices=(), member_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.counties.choices = [SelectChoice(i, label) for i, label in county_choices]
        self.members.choices = [SelectChoice(i, label) for i, label in member_choices]

    def data_for_service(self):
        return {
            "code": self.code.data, "name": self.name.data, "kind": self.kind.data,
            "industry": self.industry.data or "", "lead_department": self.lead_department.data or "",
            "leader": self.leader.data or "", "active": bool(self.active.data),
            "counties": list(self.counties.data or ()), "members": list(self.members.data or ()),
        }
