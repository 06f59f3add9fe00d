"""落地成效 award ranking (docs/design.md, Awards; tracker/services/awards/ranking.py).

Who sees what: 商务局 and 管理员 see every task force, the weights and the formula, export
the ranking, freeze the year's ranking once and print it. 专班负责人/成员 see their own task
forces' rows only (scored against every task force, so the numbers are the same as the
bureau's); export, freeze and print answer 403 to them.
"""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain import awards as A
from ...domain.errors import ValidationError
from ...services.awards import freezing
from ...services.awards import ranking as award_service
from ..period import parse_period
from ..forms import apply_errors
from ..permissions import admin_required, bureau_required
from ... import settings
from .forms import FreezeForm, UnfreezeForm

bp = Blueprint("awards", __name__, url_prefix="/awards")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible_ids():
    """None (every task force) for bureau/admin, else the user's own task forces."""
    return None if current_user.sees_all else current_user.task_force_ids()


def _wants_frozen():
    return request.args.get("frozen") in ("1", "true", "yes")


@bp.route("/")
def index():
    period = parse_period(request.args, reporting=True)
    data = award_service.page_data(period.year, period.as_of, _visible_ids(),
                                   use_frozen=_wants_frozen(),
                                   weights=settings.award_weights())
    return render_template("awards/index.html", period=period, labels=A.LABELS,
                           keys=A.KEYS, rate_keys=A.RATE_KEYS, bureau=current_user.sees_all,
                           is_admin=current_user.role == "admin", **data)


@bp.route("/export.xlsx")
@bureau_required
def export():
    period = parse_period(request.args, reporting=True)
    result = award_service.page_data(period.year, period.as_of, None,
                                     use_frozen=_wants_frozen(),
                                     weights=settings.award_weights())["ranking"]
    kind = "frozen" if result.frozen else result.as_of.isoformat()
    return Response(award_service.export_xlsx(result), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=awards-{result.year}-{kind}.xlsx"})


def _confirm_page(form, period, others=()):
    data = award_service.page_data(period.year, period.as_of, None,
                                   weights=settings.award_weights())
    return render_template("awards/freeze.html", form=form, period=period, others=others,
                           running=freezing.year_running(period.year),
                           teams=data["ranking"].total_teams, frozen_info=data["frozen_info"])


@bp.route("/freeze", methods=["GET", "POST"])
@bureau_required
def freeze():
    """冻结排名: a confirmation page that says what freezing does and what cannot be undone;
    the year is typed again, and a running year needs a reason and a second confirmation."""
    if request.method == "GET":
        period = parse_period(request.args, reporting=True)
        form = FreezeForm(formdata=None, year=str(period.year), as_of=period.as_of.isoformat())
        return _confirm_page(form, period)
    form = FreezeForm()
    period, errors = form.period()
    if not form.validate_on_submit() or errors:
        for message in (errors or {"__all__": "请求无效，请刷新页面后重试。"}).values():
            flash(message, "danger")
        return redirect(url_for("awards.index", year=period.year))
    typed = form.typed_year_error()
    if typed:
        apply_errors(form, {"confirm_year": typed})
        return _confirm_page(form, period)
    try:
        result = freezing.freeze(current_user._get_current_object(), period.year,
                                 period.as_of, settings.award_weights(),
                                 reason=form.reason.data, early=form.early.data)
    except ValidationError as exc:
        return _confirm_page(form, period, apply_errors(form, exc.errors))
    flash(f"已冻结 {result.year} 年落地成效排名（统计截至 {result.as_of.isoformat()}，"
          f"{result.total_teams} 个专班）。", "success")
    return redirect(url_for("awards.index", year=result.year, frozen=1))


@bp.route("/unfreeze", methods=["GET", "POST"])
@admin_required
def unfreeze():
    """撤销冻结 (admin): the year typed again and a reason; the audit row keeps the ranking."""
    form = UnfreezeForm()
    year = (form.year.data if request.method == "POST" else request.args.get("year")) or ""
    if not year.isdigit() or len(year) != 4:
        flash("请求缺少年度，请从排名页进入。", "danger")
        return redirect(url_for("awards.index"))
    info = award_service.frozen_info(int(year))
    others = []
    if request.method == "POST" and form.validate_on_submit():
        if (form.confirm_year.data or "").strip() != year:
            others = apply_errors(form, {"confirm_year": f"请输入 {year} 以确认撤销冻结。"})
        else:
            try:
                freezing.unfreeze(current_user._get_current_object(), int(year),
                                  form.reason.data)
            except ValidationError as exc:
                others = apply_errors(form, exc.errors)
            else:
                flash(f"已撤销 {year} 年落地成效排名的冻结；原冻结排名保存在审计日志中。", "success")
                return redirect(url_for("awards.index", year=year))
    form.year.data = year
    return render_template("awards/unfreeze.html", form=form, year=year, info=info,
                           others=others)


@bp.route("/print")
@bureau_required
def print_view():
    """A4 print page without navigation: the frozen ranking of the year when there is one
    (unless ``frozen=0``), else the live ranking at ``as_of``."""
    period = parse_period(request.args, reporting=True)  # bad values fall back to the defaults
    data = award_service.page_data(period.year, period.as_of, None,
                                   use_frozen=request.args.get("frozen") != "0",
                                   weights=settings.award_weights())
    return render_template("awards/print.html", period=period, labels=A.LABELS, keys=A.KEYS,
                           rate_keys=A.RATE_KEYS, **data)
