"""Form of the weekly-summary preferences page."""
from flask_wtf import FlaskForm
from wtforms import BooleanField


class SummaryPrefsForm(FlaskForm):
    wants_summary = BooleanField("每周一接收招商专班周报邮件")
