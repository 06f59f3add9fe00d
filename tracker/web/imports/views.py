"""Excel import pages (issue "Excel in and out"): the template, the upload with its preview,
the commit of the previewed file (kept server-side under a token bound to the user and the
session: never a re-upload), and the list of batches with their projects."""
from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, \
    render_template, request, session, url_for
from flask_login import current_user

from ...domain.errors import NotFound, ValidationError
from ...services.imports import uploads as service
from ...services.imports import preview as import_preview
from ...services.imports import template as import_template
from ...services.ledger import choices as ledger_choices
from ...services.imports import commit as import_commit
from ...services.imports import undo as import_undo
from ...services.imports import jobs as import_jobs
from ...services.imports import mapping as import_mapping
from ..forms import apply_errors
from . import forms

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "import_token"
SLACK = 256 * 1024  # multipart overhead beyond the file itself


def _user():
    return current_user._get_current_object()


def _limit():
    return int(current_app.config["IMPORT_MAX_BYTES"])


def _job_bytes():
    return int(current_app.config["IMPORT_PREVIEW_JOB_BYTES"])


def _require_import():
    if not ledger_choices.editable_teams(_user()):
        abort(403)


def _index(form, status=200):
    return render_template("imports/index.html", form=form,
                           batches=import_commit.batches() if current_user.sees_all
                           else import_commit.batches(user_id=current_user.id),
                           limit_mb=_limit() / 1048576), status


@bp.route("/")
def index():
    _require_import()
    return _index(forms.UploadForm())


@bp.route("/template.xlsx")
def template():
    _require_import()
    return Response(import_template.template_xlsx(_user()), mimetype=XLSX, headers={
        "Content-Disposition": "attachment; filename=project-import-template.xlsx; "
                               "filename*=UTF-8''%E9%A1%B9%E7%9B%AE%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"})


@bp.route("/upload", methods=["POST"])
def upload():
    _require_import()
    form = forms.UploadForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = ["请选择要导入的文件（.xlsx、.xls、.ods 或 .csv）。"]
        return _index(form, 400)
    data = upload.read(_limit() + 1)
    try:   # a large file is judged by a preview job (issue 18)
        token, job = import_jobs.upload_or_queue(
            current_app.instance_path, _user(), upload.filename[:255], data, _limit(),
            job_bytes=_job_bytes(), stale_after=import_jobs.stale_after(current_app.config))
    except ValidationError as exc:
        form.file.errors = list(exc.errors.values())
        return _index(form, 400)
    session[SESSION_KEY] = token
    if job is not None:
        return redirect(url_for("imports.job", job_id=job.id))
    return redirect(url_for("imports.preview"))


# this view's body may be IMPORT_MAX_BYTES (+ multipart overhead), every other one's
# MAX_CONTENT_LENGTH: applied before the CSRF check reads the form (extensions._body_limit)
upload.body_limit = ("IMPORT_MAX_BYTES", SLACK)


def _token():
    token = session.get(SESSION_KEY)
    if not token:
        flash("没有待确认的导入文件，请先上传。", "warning")
    return token


def _page_number():
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and len(page) < 7 else 1


def _render_preview(preview, form, token, status=200, message=None):
    """``preview``: a page of the kept judged preview (judged.StoredPage; issue 18)."""
    return render_template("imports/preview.html", preview=preview, form=form, token=token,
                           statuses=import_preview.STATUS_LABELS, choices=import_commit.CHOICES,
                           message=message), status


@bp.route("/preview")
def preview():
    _require_import()
    token = _token()
    if not token:
        return redirect(url_for("imports.index"))
    try:
        result = _judged(token)
    except ValidationError as exc:
        session.pop(SESSION_KEY, None)
        flash("；".join(exc.errors.values()), "danger")
        return redirect(url_for("imports.index"))
    if not hasattr(result, "blocked"):   # a preview job judges it (issue 18)
        return redirect(url_for("imports.job", job_id=result.id))
    if result.blocked:   # columns await the person's decision (issue 18, 列的对应)
        return redirect(url_for("imports.mapping"))
    return _render_preview(result, forms.CommitForm(formdata=None, token=token), token)


def _rejudge(token):
    """Judge the upload again (now, or the preview job returned; issue 18)."""
    return import_jobs.judge_or_queue(
        current_app.instance_path, token, _user(), _limit(), job_bytes=_job_bytes(),
        stale_after=import_jobs.stale_after(current_app.config))


def _judged(token):
    """This page of the kept judged preview (judged once, never at a view), or the preview
    job judging it when none is kept yet."""
    found = service.judged_page(current_app.instance_path, token, _user().id, _page_number())
    if found is None:
        found = _rejudge(token) or service.judged_page(
            current_app.instance_path, token, _user().id, _page_number())
    return found


@bp.route("/commit", methods=["POST"])
def commit():
    _require_import()
    form = forms.CommitForm()
    token = session.get(SESSION_KEY)
    if not form.validate_on_submit() or not token or form.token.data != token:
        flash("导入未完成：页面已过期或文件不是本次会话上传的，请重新上传。", "danger")
        return redirect(url_for("imports.index"))
    try:
        batch, job = import_jobs.commit_or_queue(
            current_app.instance_path, token, _user(), _limit(),
            job_rows=int(current_app.config["IMPORT_JOB_ROWS"]),
            stale_after=import_jobs.stale_after(current_app.config),
            choices=form.row_choices(request.form), on_duplicate=form.on_duplicate.data,
            acknowledged=form.acknowledge.data)
    except ValidationError as exc:
        try:
            result = service.judged_page(current_app.instance_path, token, _user().id, 1)
            if result is None:
                raise ValidationError({"__all__": service.EXPIRED})
        except ValidationError:
            flash("；".join(exc.errors.values()), "danger")
            return redirect(url_for("imports.index"))
        form.acknowledge.errors = [exc.errors.pop("acknowledge")] \
            if "acknowledge" in exc.errors else []
        return _render_preview(result, form, token, 400, "；".join(exc.errors.values()) or None)
    session.pop(SESSION_KEY, None)
    if job is not None:   # a large file: written by the scheduler process (issue 18)
        return redirect(url_for("imports.job", job_id=job.id))
    flash(f"已导入：新增 {batch.created} 个，更新 {batch.updated} 个，跳过 {batch.skipped} 个，"
          f"无变化 {batch.unchanged} 个。", "success")
    return redirect(url_for("imports.batch", id=batch.id))


def _stored_parsed():
    """``(token, parsed file)`` of this session's upload, or ``(None, None)`` (flashed)."""
    token = _token()
    if not token:
        return None, None
    try:
        return token, service.stored_parsed(current_app.instance_path, token, _user().id,
                                            _limit())[1]
    except ValidationError as exc:
        session.pop(SESSION_KEY, None)
        flash("；".join(exc.errors.values()), "danger")
        return None, None


@bp.route("/mapping", methods=["GET", "POST"])
def mapping():
    """列的对应: every column imported as a field or set to 不导入 before the preview; the
    decisions are remembered for the next file with the same headings."""
    _require_import()
    token, parsed = _stored_parsed()
    if parsed is None:
        return redirect(url_for("imports.index"))
    form, problems = forms.MappingForm(), {}
    if request.method == "POST" and form.validate_on_submit():
        submitted = form.decisions(request.form)
        try:
            import_mapping.choose(_user(), parsed, submitted)
            job = _rejudge(token)   # the kept judged preview is stale now (issue 18)
        except ValidationError as exc:
            problems = exc.errors
            columns = import_mapping.decide(import_mapping.columns(parsed), submitted)
        else:
            if job is not None:
                return redirect(url_for("imports.job", job_id=job.id))
            return redirect(url_for("imports.preview"))
    if not problems:
        columns = import_mapping.page(_user(), parsed)
    return render_template("imports/mapping.html", form=form, columns=columns, token=token,
                           problems=problems, fields=import_mapping.FIELD_CHOICES,
                           units=import_mapping.UNIT_CHOICES,
                           amounts=import_mapping.AMOUNT_KEYS), 400 if problems else 200


@bp.route("/cancel", methods=["POST"])
def cancel():
    form = forms.CommitForm()
    token = session.pop(SESSION_KEY, None)
    if form.validate_on_submit() and token:
        service.discard(current_app.instance_path, token)
        flash("已取消导入，上传的文件已删除。", "success")
    return redirect(url_for("imports.index"))


@bp.route("/batch")
def batch():
    _require_import()
    batch_id, team = request.args.get("id", ""), request.args.get("tf", "")
    if not batch_id.isdigit() or len(batch_id) > 9:
        abort(404)
    try:
        found, rows = import_commit.batch_projects(batch_id, int(team) if team.isdigit()
                                             and len(team) < 10 else None)
    except NotFound:
        abort(404)
    if not current_user.sees_all and found.user_id != current_user.id:
        abort(403)
    return render_template("imports/batch.html", batch=found, rows=rows,
                           teams=ledger_choices.task_forces(), tf=team)


def _undo_check(batch_id):
    try:
        return import_undo.check(_user(), batch_id)
    except NotFound:
        abort(404)
    except ValidationError:
        abort(403)


@bp.route("/batch/<int:batch_id>/undo", methods=["GET", "POST"])
def undo(batch_id):
    """撤销本批导入: a confirmation page that says what will be removed and what cannot be
    undone, then one POST with the reason."""
    _require_import()
    form = forms.UndoForm()
    found = _undo_check(batch_id)
    others = []
    if request.method == "POST" and form.validate_on_submit():
        try:
            import_undo.undo(_user(), batch_id, form.reason.data)
        except ValidationError as exc:
            others = apply_errors(form, exc.errors)
            found = _undo_check(batch_id)
        else:
            flash(f"已撤销导入批次 #{batch_id}，移除了 {len(found.created)} 个新建项目。", "success")
            return redirect(url_for("imports.batch", id=batch_id))
    return render_template("imports/undo.html", found=found, form=form, others=others)


# --- import jobs (issue 18: a large commit runs outside the web workers) -------------------

def _job(job_id):
    """The job, as it is now (a crashed one failed), for its owner or the bureau only."""
    _require_import()
    try:
        found = import_jobs.get(job_id)   # NotFound beyond the column's range too
    except NotFound:
        abort(404)
    if not current_user.sees_all and found.user_id != current_user.id:
        abort(403)
    return import_jobs.refresh(found, current_app.instance_path,
                               import_jobs.stale_after(current_app.config))


@bp.route("/job/<int:job_id>")
def job(job_id):
    """The job's page: a progress bar (static/app.js follows job_status every second;
    without script the 刷新 link), then the batch page once it is done."""
    found = _job(job_id)
    if found.state == "done" and found.kind == "preview" and request.args.get("stay") != "1":
        return redirect(url_for("imports.preview"))
    if found.state == "done" and found.batch_id and request.args.get("stay") != "1":
        flash(f"导入完成：{found.rows_done} 行已写入（导入任务 #{found.id}）。", "success")
        return redirect(url_for("imports.batch", id=found.batch_id))
    return render_template("imports/job.html", job=found,
                           status=import_jobs.status(found, current_app.instance_path))


@bp.route("/job/<int:job_id>/status.json")
def job_status(job_id):
    found = _job(job_id)
    answer = import_jobs.status(found, current_app.instance_path)
    if found.batch_id:
        answer["url"] = url_for("imports.batch", id=found.batch_id)
    elif found.kind == "preview" and found.state == "done":
        answer["url"] = url_for("imports.preview")
    return jsonify(answer)
