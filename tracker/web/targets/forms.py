"""目标设置 forms: parsing only; services.targets.entry checks every value and the reason.

Money fields are in 亿元 (the unit written in every label), counts in 个, shares in %. An
empty target field means "unchanged". ``confirm`` + ``confirm_token``: the checkbox shown
next to a warning (domain.targets.NeedsConfirmation) and the token of what it confirms.
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from ...domain import metrics as M
from ...domain import periods
from ...domain import targets as D
from ..projects.forms import MARKED

# Every number field asks a phone for its decimal keyboard (the page also passes a unit).
DECIMAL = {"inputmode": "decimal"}


def _label(key):
    metric = M.get(key)
    return f"{metric.label}（{'亿元' if metric.is_money else metric.unit}）"


class ConfirmMixin:
    confirm = BooleanField(D.CONFIRM_LABEL)
    confirm_token = HiddenField()

    def confirmation(self):
        """The token the user confirmed (None unless the checkbox is ticked)."""
        return (self.confirm_token.data or None) if self.confirm.data else None

    def ask(self, token):
        """Show the checkbox, unticked, for the warnings of ``token``."""
        self.confirm_token.data = token
        self.confirm.data = False


class TeamTargetForm(ConfirmMixin, FlaskForm):
    packaged_value = StringField(_label(M.PACKAGED_VALUE), render_kw=DECIMAL)
    negotiations = StringField(_label(M.NEGOTIATIONS), render_kw={"inputmode": "numeric"})
    signed_value = StringField(_label(M.SIGNED_VALUE), render_kw=DECIMAL)
    funds_received = StringField(_label(M.FUNDS_RECEIVED), render_kw=DECIMAL)
    reason = TextAreaField("修改原因（必填，500 字以内）", MARKED)

    def fill(self, current):
        """Show the current versions ({metric: row or None}); money in 亿元, exact."""
        for key in M.KEYS:
            row = current.get(key)
            value = None if row is None else row.value
            getattr(self, key).data = "" if value is None else (
                D.yi_text(value) if M.get(key).is_money else str(int(value)))

    def values(self):
        return {key: getattr(self, key).data for key in M.KEYS}


class CountyTargetForm(ConfirmMixin, FlaskForm):
    base = StringField("上年基数（亿元，留空则按台账计算）", render_kw=DECIMAL)
    growth_pct = StringField("增长目标（%）", MARKED, render_kw=DECIMAL)
    reason = TextAreaField("修改原因（必填，500 字以内）", MARKED)


class DefaultsForm(FlaskForm):
    overwrite = BooleanField("覆盖已设置的目标")
    confirm_token = HiddenField()


class SharesForm(FlaskForm):
    """Four cumulative shares per metric; fields are named <metric>_q<n>."""

    def fill(self, current):
        for key in M.KEYS:
            for q in periods.QUARTERS:
                getattr(self, f"{key}_q{q}").data = f"{current[key][q - 1].normalize():f}"

    def values(self):
        return {key: [getattr(self, f"{key}_q{q}").data for q in periods.QUARTERS]
                for key in M.KEYS}


for _key in M.KEYS:
    for _q in periods.QUARTERS:
        setattr(SharesForm, f"{_key}_q{_q}", StringField(f"第{_q}季度末累计（%）", MARKED,
                                                                render_kw=DECIMAL))
