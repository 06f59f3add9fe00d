"""Decision forms of a 更正申请."""
from flask_wtf import FlaskForm
from wtforms import TextAreaField


class ApproveForm(FlaskForm):
    pass


class RejectForm(FlaskForm):
    decision_note = TextAreaField("驳回原因")


class WithdrawForm(FlaskForm):
    pass
