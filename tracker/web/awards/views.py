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
from ...services.awards import ranking as award_service
from ..period import parse_period
from ..permissions import bureau_required
from ... import settings
from .forms import FreezeForm

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
    form = FreezeForm(formdata=None, year=str(period.year), as_of=period.as_of.isoformat())
    return render_template("awards/index.html", period=period, form=form, labels=A.LABELS,
                           keys=A.KEYS, rate_keys=A.RATE_KEYS, bureau=current_user.sees_all,
                           **data)


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


@bp.route("/freeze", methods=["POST"])
@bureau_required
def freeze():
    form = FreezeForm()
    if not form.validate_on_submit():
        flash("请求无效，请刷新页面后重试。", "danger")
        return redirect(url_for("awards.index"))
    period, errors = form.period()
    if errors:
        for message in errors.values():
            flash(message, "danger")
        return redirect(url_for("awards.index", year=period.year))
    try:
        result = award_service.freeze(current_user._get_current_object(), period.year,
                                      period.as_of, settings.award_weights())
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(message, "danger")
        return redirect(url_for("awards.index", year=period.year,
                                as_of=period.as_of.isoformat()))
    flash(f"已冻结 {result.year} 年落地成效排名（统计截至 {result.as_of.isoformat()}，"
          f"{result.total_teams} 个专班）。", "success")
    return redirect(url_for("awards.index", year=result.year, frozen=1))


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
