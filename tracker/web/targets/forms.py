"""目标设置 forms: parsing only; services.targets checks every value and the reason."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from ...domain import metrics as M
from ...domain import periods


class TeamTargetForm(FlaskForm):
    packaged_value = StringField(f"{M.get('packaged_value').label}（万元）")
    negotiations = StringField(f"{M.get('negotiations').label}（个）")
    signed_value = StringField(f"{M.get('signed_value').label}（万元）")
    funds_received = StringField(f"{M.get('funds_received').label}（万元，可不填）")
    reason = TextAreaField("修改原因")

    def fill(self, current):
        """Show the current versions ({metric: row or None})."""
        for key in M.KEYS:
            row = current.get(key)
            getattr(self, key).data = "" if row is None or row.value is None else \
                (str(int(row.value)) if key == M.NEGOTIATIONS else str(row.value))

    def values(self):
        return {key: getattr(self, key).data for key in M.KEYS}


class CountyTargetForm(FlaskForm):
    base = StringField("上年基数（万元，留空则按台账计算）")
    growth_pct = StringField("增长目标（%）")
    reason = TextAreaField("修改原因")


class DefaultsForm(FlaskForm):
    overwrite = BooleanField("覆盖已设置的目标")


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
        setattr(SharesForm, f"{_key}_q{_q}", StringField(f"第{_q}季度末累计（%）"))
