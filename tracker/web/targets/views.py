"""目标设置: annual targets per task force, county funds goals, checkpoint shares.

Bureau/admin only. Every change goes through services.targets (new version,
audit row); bad input comes back as messages next to the fields.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from playhouse.flask_utils import get_object_or_404
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

from ... import clock
from ...domain import metrics as M
from ...domain import periods
from ...models import County, TaskForce
from ...services import metrics as Q
from ...services import targets as T
from ...domain.errors import ValidationError
from ..permissions import bureau_required

bp = Blueprint("targets", __name__, url_prefix="/targets")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


REASON = dict(validators=[Length(max=500, message="修改原因不能超过 500 个字。")],
              filters=[_strip])


class TeamTargetForm(FlaskForm):
    packaged_value = StringField(f"{M.get('packaged_value').label}（万元）", filters=[_strip])
    negotiations = StringField(f"{M.get('negotiations').label}（个）", filters=[_strip])
    signed_value = StringField(f"{M.get('signed_value').label}（万元）", filters=[_strip])
    funds_received = StringField(f"{M.get('funds_received').label}（万元，可不填）",
                                 filters=[_strip])
    reason = TextAreaField("修改原因", **REASON)


class CountyTargetForm(FlaskForm):
    base = StringField("上年基数（万元，留空则按台账计算）", filters=[_strip])
    growth_pct = StringField("增长目标（%）", filters=[_strip])
    reason = TextAreaField("修改原因", **REASON)


class DefaultsForm(FlaskForm):
    overwrite = BooleanField("覆盖已设置的目标")


class SharesForm(FlaskForm):
    """Four cumulative shares per metric; fields are named <metric>_q<n>."""


for _key in M.KEYS:
    for _q in periods.QUARTERS:
        setattr(SharesForm, f"{_key}_q{_q}",
                StringField(f"第{_q}季度末累计（%）", filters=[_strip]))


def _year_arg():
    raw = request.args.get("year")
    if raw in (None, ""):
        return clock.today().year
    errors = {}
    year = T.check_year(raw, errors)
    if year is None:
        flash(errors["year"] + "已显示本年度。", "warning")
        return clock.today().year
    return year


def _check_year(year):
    if T.check_year(year) is None:
        abort(404)
    return year


def _apply_errors(form, errors, fallback):
    """Put service messages next to the matching form fields."""
    for name, message in errors.items():
        field = getattr(form, name, None) or getattr(form, fallback)
        field.errors = list(field.errors or []) + [message]


def _user():
    return current_user._get_current_object()


@bp.route("/")
@bureau_required
def index():
    year = _year_arg()
    teams = list(TaskForce.select().where(TaskForce.active == True)  # noqa: E712
                 .order_by(TaskForce.code))
    counties = list(County.select().where(County.active == True)  # noqa: E712
                    .order_by(County.code))
    last_year = Q.county_funds_between(periods.year_start(year - 1), periods.year_end(year - 1),
                                       [c.id for c in counties])
    return render_template(
        "targets/index.html", year=year, years=range(year - 3, year + 2), teams=teams,
        metrics=list(M.METRICS.values()), current=T.current_targets(year),
        shares=T.shares_for(year), counties=counties, last_year=last_year,
        county_targets=T.current_county_targets(year), history=T.history(year)[:100],
        county_history=T.county_history(year)[:50], defaults_form=DefaultsForm(),
        default_growth=T.DEFAULT_GROWTH_PCT)


@bp.route("/<int:year>/team/<code>", methods=["GET", "POST"])
@bureau_required
def edit_team(year, code):
    _check_year(year)
    team = get_object_or_404(TaskForce, TaskForce.code == code)
    current = T.current_targets(year, [team.id])
    form = TeamTargetForm()
    if not form.is_submitted():
        for key in M.KEYS:
            row = current.get((team.id, key))
            getattr(form, key).data = "" if row is None or row.value is None else \
                (str(int(row.value)) if key == M.NEGOTIATIONS else str(row.value))
    if form.validate_on_submit():
        try:
            changed = T.set_targets(_user(), team, year,
                                    {key: getattr(form, key).data for key in M.KEYS},
                                    form.reason.data)
        except ValidationError as exc:
            _apply_errors(form, exc.errors, "reason")
        else:
            flash(f"已保存「{team.name}」{year}年目标（新增 {changed} 个版本）。" if changed
                  else "目标没有变化。", "success" if changed else "info")
            return redirect(url_for("targets.index", year=year))
    history = T.history(year, team)
    return render_template("targets/team_form.html", form=form, team=team, year=year,
                           history=history)


@bp.route("/<int:year>/defaults", methods=["POST"])
@bureau_required
def apply_defaults(year):
    _check_year(year)
    form = DefaultsForm()
    if not form.validate_on_submit():
        flash("请求无效，请刷新页面后重试。", "danger")
        return redirect(url_for("targets.index", year=year))
    written = T.apply_defaults(year, _user(), overwrite=form.overwrite.data)
    flash(f"已为 {year} 年应用默认目标，新增 {written} 个目标版本。" if written
          else "所有在册专班已设置目标，未作修改。", "success" if written else "info")
    return redirect(url_for("targets.index", year=year))


@bp.route("/<int:year>/shares", methods=["GET", "POST"])
@bureau_required
def shares(year):
    _check_year(year)
    current = T.shares_for(year)
    form = SharesForm()
    if not form.is_submitted():
        for key in M.KEYS:
            for q in periods.QUARTERS:
                getattr(form, f"{key}_q{q}").data = f"{current[key][q - 1].normalize():f}"
    if form.validate_on_submit():
        values = {key: [getattr(form, f"{key}_q{q}").data for q in periods.QUARTERS]
                  for key in M.KEYS}
        try:
            changed = T.set_all_shares(_user(), year, values)
        except ValidationError as exc:
            _apply_errors(form, exc.errors, f"{M.KEYS[0]}_q4")
        else:
            flash(f"已保存 {year} 年季度节点比例。" if changed else "节点比例没有变化。",
                  "success" if changed else "info")
            return redirect(url_for("targets.index", year=year))
    return render_template("targets/shares.html", form=form, year=year,
                           metrics=list(M.METRICS.values()), quarters=periods.QUARTERS)


@bp.route("/<int:year>/county/<code>", methods=["GET", "POST"])
@bureau_required
def edit_county(year, code):
    _check_year(year)
    county = get_object_or_404(County, County.code == code)
    current = T.current_county_targets(year, [county.id]).get(county.id)
    last_year = Q.county_funds_between(periods.year_start(year - 1),
                                       periods.year_end(year - 1), [county.id]).get(county.id)
    form = CountyTargetForm()
    if not form.is_submitted():
        form.base.data = "" if current is None or current.base is None else str(current.base)
        form.growth_pct.data = str(current.growth_pct if current else T.DEFAULT_GROWTH_PCT)
    if form.validate_on_submit():
        try:
            before = current.id if current else None
            row = T.set_county_target(_user(), county, year, base=form.base.data,
                                      growth_pct=form.growth_pct.data, reason=form.reason.data)
        except ValidationError as exc:
            _apply_errors(form, exc.errors, "reason")
        else:
            changed = row.id != before
            flash(f"已保存「{county.name}」{year}年到位资金目标。" if changed else "目标没有变化。",
                  "success" if changed else "info")
            return redirect(url_for("targets.index", year=year))
    return render_template("targets/county_form.html", form=form, county=county, year=year,
                           last_year=last_year, current=current)


@bp.context_processor
def _helpers():
    return {"metric_label": M.label, "metric_is_money": lambda key: M.get(key).is_money}
