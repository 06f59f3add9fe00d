"""目标设置: annual targets per task force, county funds goals, checkpoint shares.

Bureau/admin only. Every change is one call of services.targets.annual or services.targets.entry
(new version, audit row); bad input comes back as messages next to the fields
(web.forms.apply_errors). Amounts typed and shown here are in 亿元. A suspicious revision
or an overwrite of revised targets comes back as NeedsConfirmation: its warnings are shown
next to the fields (or listed) with a confirmation, and only the confirmed POST writes.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import clock
from ...domain import metrics as M
from ...domain import periods
from ...domain.errors import ValidationError
from ...domain.targets import NeedsConfirmation, yi_text
from ...services.targets import entry as E
from ...services.targets import annual as T
from ...services.targets.inputs import check_year
from ...services.targets import counties as county_targets
from ...services.targets import shares as target_shares
from ..forms import apply_errors
from ..permissions import bureau_required
from ... import settings
from .forms import CountyTargetForm, DefaultsForm, SharesForm, TeamTargetForm

bp = Blueprint("targets", __name__, url_prefix="/targets")


def _year_arg():
    raw = request.args.get("year")
    if raw in (None, ""):
        return clock.today().year
    errors = {}
    year = check_year(raw, errors)
    if year is None:
        flash(errors["year"] + "已显示本年度。", "warning")
        return clock.today().year
    return year


def _check_year(year):
    if check_year(year) is None:
        abort(404)
    return year


def _user():
    return current_user._get_current_object()


def _done(message, changed, year):
    flash(message, "success" if changed else "info")
    return redirect(url_for("targets.index", year=year))


@bp.route("/")
@bureau_required
def index():
    year = _year_arg()
    return render_template(
        "targets/index.html", year=year, years=range(year - 3, year + 2),
        metrics=list(M.METRICS.values()), defaults_form=DefaultsForm(),
        default_growth=county_targets.DEFAULT_GROWTH_PCT, **T.page_data(year))


@bp.route("/<int:year>/team/<code>", methods=["GET", "POST"])
@bureau_required
def edit_team(year, code):
    _check_year(year)
    team, current, history = T.team_form_data(year, code)
    form = TeamTargetForm()
    if not form.is_submitted():
        form.fill(current)
    asking = False
    if form.validate_on_submit():
        try:
            changed = E.enter_targets(_user(), team.id, year, form.values(), form.reason.data,
                                      confirm=form.confirmation(),
                                      floor=settings.target_floor())
        except NeedsConfirmation as exc:
            apply_errors(form, exc.errors, flash_rest=True)
            form.ask(exc.token)
            asking = True
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            return _done(f"已保存「{team.name}」{year}年目标（新增 {changed} 个版本）。"
                         if changed else "目标没有变化。", changed, year)
    return render_template("targets/team_form.html", form=form, team=team, year=year,
                           history=history, asking=asking)


@bp.route("/<int:year>/defaults", methods=["POST"])
@bureau_required
def apply_defaults(year):
    _check_year(year)
    form = DefaultsForm()
    if not form.validate_on_submit():
        flash("请求无效，请刷新页面后重试。", "danger")
        return redirect(url_for("targets.index", year=year))
    overwrite = bool(form.overwrite.data)
    try:
        written = T.apply_defaults(year, _user(), overwrite=overwrite,
                                   reason="应用默认目标（覆盖）" if overwrite else "应用默认目标",
                                   confirm=form.confirm_token.data or None)
    except NeedsConfirmation as exc:
        form.confirm_token.data = exc.token
        return render_template("targets/defaults_confirm.html", form=form, year=year,
                               items=exc.items, message=exc.errors.get("__all__"),
                               again=bool(form.confirm_token.raw_data
                                          and form.confirm_token.raw_data[0]))
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(message, "danger")
        return redirect(url_for("targets.index", year=year))
    return _done(f"已为 {year} 年应用默认目标，新增 {written} 个目标版本。" if written
                 else "所有在册专班已设置目标，未作修改。", written, year)


@bp.route("/<int:year>/shares", methods=["GET", "POST"])
@bureau_required
def shares(year):
    _check_year(year)
    form = SharesForm()
    if not form.is_submitted():
        form.fill(target_shares.shares_for(year))
    if form.validate_on_submit():
        try:
            changed = target_shares.set_all_shares(_user(), year, form.values())
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            return _done(f"已保存 {year} 年季度节点比例。" if changed else "节点比例没有变化。",
                         changed, year)
    return render_template("targets/shares.html", form=form, year=year,
                           metrics=list(M.METRICS.values()), quarters=periods.QUARTERS)


@bp.route("/<int:year>/county/<code>", methods=["GET", "POST"])
@bureau_required
def edit_county(year, code):
    _check_year(year)
    county, current, last_year = T.county_form_data(year, code)
    form = CountyTargetForm()
    if not form.is_submitted():
        form.base.data = yi_text(None if current is None else current.base)
        form.growth_pct.data = str(current.growth_pct if current else county_targets.DEFAULT_GROWTH_PCT)
    asking = False
    if form.validate_on_submit():
        try:
            row = county_targets.enter_county_target(_user(), county.id, year, base=form.base.data,
                                        growth_pct=form.growth_pct.data,
                                        reason=form.reason.data, confirm=form.confirmation())
        except NeedsConfirmation as exc:
            apply_errors(form, exc.errors, flash_rest=True)
            form.ask(exc.token)
            asking = True
        except ValidationError as exc:
            apply_errors(form, exc.errors, flash_rest=True)
        else:
            changed = current is None or row.id != current.id
            return _done(f"已保存「{county.name}」{year}年到位资金目标。" if changed
                         else "目标没有变化。", changed, year)
    return render_template("targets/county_form.html", form=form, county=county, year=year,
                           last_year=last_year, current=current, asking=asking)


@bp.context_processor
def _helpers():
    return {"metric_label": M.label, "metric_is_money": lambda key: M.get(key).is_money,
            "metric_unit": lambda key: "亿元" if M.get(key).is_money else M.get(key).unit}
