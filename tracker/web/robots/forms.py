"""Robot forms; every rule (allowed hosts, kinds, who may) is checked by services.robots.manage."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField

from ..projects.forms import Choice, opts

KIND_CHOICES = [("wecom", "企业微信群机器人"), ("dingtalk", "钉钉自定义机器人")]


class RobotForm(FlaskForm):
    task_force = Choice("所属", coerce=str)
    kind = Choice("类型", choices=KIND_CHOICES, default="wecom")
    name = StringField("名称")
    webhook_url = PasswordField("Webhook 地址")
    secret = PasswordField("加签密钥（钉钉，可不填）")
    clear_secret = BooleanField("清除已保存的加签密钥")
    version = HiddenField()

    def __init__(self, *args, scopes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.task_force.choices = opts([(str(value), label) for value, label in scopes])

    def values(self):
        names = ("task_force", "kind", "name", "webhook_url", "secret", "clear_secret")
        return {name: self[name].data for name in names if name in self}
