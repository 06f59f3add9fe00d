"""通报 (progress bulletin) of a checkpoint: an A4 print page and a .docx download.

商务局 and 管理员 only (403 for members and leads). Arguments are query parameters only:
``year`` and ``checkpoint`` (q1 | h1 | q3 | year); a bad value is a 400 page. The numbers
come from services.bulletin.report (frozen snapshots of a closed quarter, else the live report).
"""
from flask import Blueprint, Response, abort, render_template, request

from ...services.bulletin import report as bulletin_service
from ...services.bulletin import word
from ..permissions import bureau_required
from ... import settings
from .forms import parse_bulletin_query

bp = Blueprint("bulletin", __name__, url_prefix="/bulletin")


def _bulletin():
    query = parse_bulletin_query(request.args)
    if query.errors:
        abort(400, description="；".join(query.errors.values()))
    return bulletin_service.build_bulletin(query.year, query.checkpoint,
                                           options=settings.progress(), stale=settings.stale())


@bp.route("/")
@bureau_required
def index():
    bulletin = _bulletin()
    return render_template("bulletin/index.html", b=bulletin, B=bulletin_service,
                           checkpoints=bulletin_service.CHECKPOINTS,
                           totals_header=word.totals_header(bulletin),
                           ranking_header=word.ranking_header())


@bp.route("/bulletin.docx")
@bureau_required
def download():
    bulletin = _bulletin()
    return Response(word.bulletin_docx(bulletin), mimetype=word.MIMETYPE,
                    headers={"Content-Disposition":
                             word.content_disposition(bulletin.filename)})
