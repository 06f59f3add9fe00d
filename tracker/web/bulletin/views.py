"""通报 (progress bulletin) of a checkpoint: an A4 print page and a .docx download.

商务局 and 管理员 only (403 for members and leads). Arguments are query parameters only:
``year`` and ``checkpoint`` (q1 | h1 | q3 | year); a bad value is a 400 page. The numbers
come from services.bulletin (frozen snapshots of a closed quarter, else the live report).
"""
from flask import Blueprint, Response, abort, render_template, request

from ...services import bulletin as bulletin_service
from ...services import bulletin_docx
from ..permissions import bureau_required
from .forms import parse_bulletin_query

bp = Blueprint("bulletin", __name__, url_prefix="/bulletin")


def _bulletin():
    query = parse_bulletin_query(request.args)
    if query.errors:
        abort(400, description="；".join(query.errors.values()))
    return bulletin_service.build_bulletin(query.year, query.checkpoint)


@bp.route("/")
@bureau_required
def index():
    bulletin = _bulletin()
    return render_template("bulletin/index.html", b=bulletin, B=bulletin_service,
                           checkpoints=bulletin_service.CHECKPOINTS,
                           totals_header=bulletin_docx.totals_header(bulletin),
                           ranking_header=bulletin_docx.ranking_header())


@bp.route("/bulletin.docx")
@bureau_required
def download():
    bulletin = _bulletin()
    return Response(bulletin_docx.bulletin_docx(bulletin), mimetype=bulletin_docx.MIMETYPE,
                    headers={"Content-Disposition":
                             bulletin_docx.content_disposition(bulletin.filename)})
