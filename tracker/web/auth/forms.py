"""The login form, and the choice of a session to end."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, NumberRange

from ...domain import accounts as rules


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。")])
    remember = BooleanField("记住我")

    def validate_username(self, field):
        """Cleaned like a stored user name (an identifier: NFKC, spaces trimmed); NUL or
        over 64 characters is a message next to the field, never a database error."""
        name, error = rules.clean_username(field.data)
        if error:
            raise ValidationError(error)
        field.data = name


class EndSessionForm(FlaskForm):
    """One of the user's sessions (an id of the sessions page; bounded to the column)."""
    session_id = IntegerField(validators=[DataRequired(), NumberRange(1, 2**31 - 1)])
