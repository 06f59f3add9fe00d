"""落地成效 forms: parsing only (tracker/services/awards/ranking.py judges the values)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from ..period import parse_period


class FreezeForm(FlaskForm):
    """冻结排名 (POST, CSRF) from its confirmation page: the year and as-of date shown, the
    year typed again (a deliberate act), and for a running year a reason and a second
    confirmation (the service judges those)."""
    year = HiddenField()
    as_of = HiddenField()
    confirm_year = StringField("请输入要冻结的年份以确认", render_kw={"inputmode": "numeric",
                                                                "autocomplete": "off"})
    reason = TextAreaField("提前冻结的原因")
    early = BooleanField("确认提前冻结：本年度尚未结束，冻结后排名不再随台账变化")

    def typed_year_error(self):
        """The message for ``confirm_year`` when it is not the year being frozen."""
        typed = (self.confirm_year.data or "").strip()
        if typed != (self.year.data or "").strip():
            return f"请输入 {self.year.data} 以确认冻结（输入的是“{typed[:10]}”）。"
        return None

    def period(self):
        """(web.period.Period, errors): the year and date given; errors when either was
        missing or invalid (nothing is frozen then)."""
        raw = {"year": self.year.data or "", "as_of": self.as_of.data or ""}
        period = parse_period(raw)
        errors = dict(period.errors)
        if not raw["year"] or not raw["as_of"]:
            errors.setdefault("__all__", "请求缺少年度或统计日期，请刷新页面后重试。")
        return period, errors


class UnfreezeForm(FlaskForm):
    """撤销冻结 (admin): the year typed again and the reason."""
    year = HiddenField()
    confirm_year = StringField("请输入要撤销冻结的年份以确认",
                               render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reason = TextAreaField("撤销原因")
