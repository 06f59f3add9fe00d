"""通报 (progress bulletin) of a checkpoint: an A4 print page, a .docx download and the
bureau's 下步要求.

Every signed-in role reads the 通报 (it is sent to every task force): the page, its print and
the .docx. 商务局 and 管理员 also write its 下步要求 and 按语 (POST /bulletin/note, one
service write per save; 403 for members and leads). Arguments are query parameters only:
``year`` and ``checkpoint`` (q1 | h1 | q3 | year); a bad value is a 400 page. The numbers
come from services.bulletin.report (frozen snapshots of a closed quarter, else the live
report); the 版头 and 落款 from BULLETIN_* (services.bulletin.layout).
"""
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_login import current_user

from ...domain.errors import ValidationError
from ...services.bulletin import checkpoints, layout, notes, word, wording
from ...services.bulletin import report as bulletin_service
from ..forms import apply_errors
from ..permissions import bureau_required
from ... import settings
from .forms import NoteForm, parse_bulletin_query

bp = Blueprint("bulletin", __name__, url_prefix="/bulletin")
EDITORS = ("admin", "bureau")


def _query():
    query = parse_bulletin_query(request.args)
    if query.errors:
        abort(400, description="；".join(query.errors.values()))
    return query


def _bulletin(query):
    return bulletin_service.build_bulletin(query.year, query.checkpoint,
                                           options=settings.progress(), stale=settings.stale(),
                                           activity_weights=settings.activity_weights())


def _page(bulletin, form=None, others=()):
    editor = current_user.role in EDITORS
    if editor and form is None:
        note = bulletin.note
        form = NoteForm(formdata=None, requirements=note.requirements if note else "",
                        remarks=note.remarks if note else "",
                        version=str(note.version if note else 0))
    letterhead = layout.letterhead_from(current_app.config)
    columns = layout.ranking_columns(bulletin)
    return render_template("bulletin/index.html", b=bulletin, B=bulletin_service, L=layout, W=wording,
                           letterhead=letterhead, checkpoints=checkpoints.CHECKPOINTS,
                           totals_header=layout.totals_header(bulletin),
                           columns=columns, groups=layout.header_groups(columns),
                           form=form if editor else None, others=others,
                           limits=(notes.REQUIREMENTS_MAX, notes.REMARKS_MAX))


@bp.route("/")
def index():
    return _page(_bulletin(_query()))


@bp.route("/note", methods=["POST"])
@bureau_required
def save_note():
    query = _query()
    form = NoteForm()
    if form.validate_on_submit():
        try:
            notes.save_note(current_user, query.year, query.checkpoint,
                            requirements=form.requirements.data,
                            remarks=form.remarks.data, version=form.version.data)
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
            return _page(_bulletin(query), form, others)
        flash("下步要求已保存，页面、打印和 Word 文档均已更新。", "success")
        return redirect(url_for("bulletin.index", year=query.year, checkpoint=query.checkpoint,
                                _anchor="next-steps"))
    return _page(_bulletin(query), form)


@bp.route("/bulletin.docx")
def download():
    bulletin = _bulletin(_query())
    data = word.bulletin_docx(bulletin, layout.letterhead_from(current_app.config))
    return Response(data, mimetype=word.MIMETYPE,
                    headers={"Content-Disposition": word.content_disposition(bulletin.filename)})
