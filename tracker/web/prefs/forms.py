"""Form of the preferences page: the weekly summary and 督办 reminders."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField


class SummaryPrefsForm(FlaskForm):
    wants_summary = BooleanField("每周一接收招商专班周报邮件")
    remind_email = BooleanField("督办事项到期、逾期提醒和“60天未推进”提醒发送邮件给我")
    robot_mention = BooleanField("专班群机器人发送督办提醒时可以@我（需填写手机号码）")
    # bounded here only against abuse; services.mail.prefs (domain.reminders) judges it
    mobile = StringField("手机号码", render_kw={"maxlength": 32})
    # "1" on this page (views.summary sets it): a POST without it (a page of the version
    # before, still open) leaves the reminder settings as they are
    reminder_fields = HiddenField()

    def reminder(self):
        """The reminder part for services.mail.prefs.save_prefs (None: not on the page posted)."""
        if self.reminder_fields.data != "1":
            return None
        return {"remind_email": self.remind_email.data, "robot_mention": self.robot_mention.data,
                "mobile": self.mobile.data}
