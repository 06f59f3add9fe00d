"""落地成效 forms: parsing only (tracker/services/awards/ranking.py judges the values)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField

from ..period import parse_period


class FreezeForm(FlaskForm):
    """冻结排名 (POST, CSRF): the year and as-of date shown on the page."""
    year = HiddenField()
    as_of = HiddenField()

    def period(self):
        """(web.period.Period, errors): the year and date given; errors when either was
        missing or invalid (nothing is frozen then)."""
        raw = {"year": self.year.data or "", "as_of": self.as_of.data or ""}
        period = parse_period(raw)
        errors = dict(period.errors)
        if not raw["year"] or not raw["as_of"]:
            errors.setdefault("__all__", "请求缺少年度或统计日期，请刷新页面后重试。")
        return period, errors
