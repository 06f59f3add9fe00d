"""Forms of the account pages: parsing only. The password policy, names, e-mail, roles and
task-force codes are checked by services.accounts.users (domain.accounts), whose messages the
views put next to these fields (web.forms.apply_errors)."""
import datetime

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField, IntegerField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, EqualTo, NumberRange
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from ...domain.accounts import ROLES


class CheckboxList(SelectMultipleField):
    """A multi-select shown as a list of checkboxes."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _id_field(message):
    return IntegerField(widget=HiddenInput(), validators=[
        DataRequired(message), NumberRange(1, 2**31 - 1, message)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。")])
    confirm = PasswordField("确认新密码", validators=[
        DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")])


class UserForm(FlaskForm):
    """Create (with ``username``) or edit a user."""
    username = StringField("用户名")
    display_name = StringField("姓名")
    email = StringField("邮箱")
    # A new account starts with the least role (专班成员); raising it is a deliberate choice.
    role = SelectField("角色", choices=[SelectChoice(k, v) for k, v in ROLES.items()],
                       default="member", invalid_choice_message="请选择有效的角色。")
    task_forces = CheckboxList("所属专班", invalid_choice_message="所选专班不存在：%(value)s。")

    def __init__(self, *args, task_force_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.task_forces.choices = [SelectChoice(code, label) for code, label in task_force_choices]

    def data_for_service(self):
        return {"display_name": self.display_name.data or "", "email": self.email.data or "",
                "role": self.role.data, "task_force_codes": tuple(self.task_forces.data or ())}


class UserActionForm(FlaskForm):
    """Deactivate, reactivate or reset the password of the user ``user_id``; ``confirmed``
    is set by the confirmation page of an action that cannot simply be taken back."""
    user_id = _id_field("用户无效。")
    confirmed = HiddenField()


class TokenForm(FlaskForm):
    name = StringField("令牌名称")
    expires_at = StringField("有效期至（含当日，可留空）")

    def validate_expires_at(self, field):
        """``YYYY-MM-DD`` or blank (no expiry) -> a date or None."""
        value = (field.data or "").strip()
        if not value:
            field.data = None
            return
        try:
            field.data = datetime.datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            field.data = None
            raise ValidationError("请输入有效日期（YYYY-MM-DD）。") from None


class RevokeTokenForm(FlaskForm):
    token_id = _id_field("令牌无效。")
