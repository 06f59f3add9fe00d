"""WTForms for creating and editing task forces."""
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...models import County, Membership, TaskForce, User

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
RESERVED_CODES = {"new"}  # would clash with /taskforces/new


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxList(SelectMultipleField):
    """A multi-select shown as a list of checkboxes (easier than ctrl-click)."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TaskForceForm(FlaskForm):
    code = StringField("专班编码", validators=[
        DataRequired("请填写专班编码。"), Length(max=32, message="专班编码最多 32 个字符。")],
        filters=[_strip])
    name = StringField("专班名称", validators=[
        DataRequired("请填写专班名称。"), Length(max=100, message="专班名称最多 100 个字符。")],
        filters=[_strip])
    kind = SelectField("类别", choices=[SelectChoice(k, v) for k, v in TaskForce.KINDS.items()],
                       invalid_choice_message="请选择有效的专班类别。")
    industry = StringField("产业方向", validators=[Length(max=64, message="最多 64 个字符。")],
                           filters=[_strip])
    lead_department = StringField("牵头部门", validators=[
        Length(max=100, message="最多 100 个字符。")],
        filters=[_strip])
    leader = StringField("专班负责人（领导）", validators=[Length(max=64, message="最多 64 个字符。")],
                         filters=[_strip])
    active = BooleanField("启用", default=True)
    counties = CheckboxList("对接区县/开发区", coerce=int,
                            invalid_value_message="区县选择无效。",
                            invalid_choice_message="所选区县不存在：%(value)s。")
    members = CheckboxList("专班成员（登录账号）", coerce=int,
                           invalid_value_message="成员选择无效。",
                           invalid_choice_message="所选用户不存在或已停用：%(value)s。")

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.counties.choices = [SelectChoice(c.id, c.name) for c in
                                 County.select().order_by(County.kind, County.code)]
        # Active users, plus inactive ones that are already members (kept on save).
        selectable = User.active == True  # noqa: E712
        if team is not None:
            selectable |= User.id.in_(Membership.select(Membership.user)
                                      .where(Membership.task_force == team))
        self.members.choices = [SelectChoice(u.id, f"{u}（{u.username} · {u.role_label}）") for u in
                                User.select().where(selectable)
                                .order_by(User.role, User.username)]

    def validate_code(self, field):
        if field.data and not CODE_RE.match(field.data):
            raise ValidationError("编码只能包含字母、数字、- 和 _，并以字母或数字开头。")
        if field.data and field.data.lower() in RESERVED_CODES:
            raise ValidationError(f"「{field.data}」是保留字，请换一个编码。")
        query = TaskForce.select().where(TaskForce.code == field.data)
        if self.team is not None:
            query = query.where(TaskForce.id != self.team.id)
        if query.exists():
            raise ValidationError(f"专班编码「{field.data}」已被使用。")

    def validate_name(self, field):
        query = TaskForce.select().where(TaskForce.name == field.data)
        if self.team is not None:
            query = query.where(TaskForce.id != self.team.id)
        if query.exists():
            raise ValidationError(f"专班名称「{field.data}」已存在。")

    def data_for_service(self):
        return {
            "code": self.code.data, "name": self.name.data, "kind": self.kind.data,
            "industry": self.industry.data or "", "lead_department": self.lead_department.data or "",
            "leader": self.leader.data or "", "active": bool(self.active.data),
            "counties": list(self.counties.data or ()), "members": list(self.members.data or ()),
        }
