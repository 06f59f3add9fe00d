"""Export job pages (issue 18, "Long work"): the ledger's export link writes a small export
at once; a larger one (more than EXPORT_JOB_ROWS projects) gets a page that queues it as a
job (POST, CSRF-checked), written by the scheduler process (services.exports.jobs). The
job's page shows rows done / total (static/app.js follows its status every second), then
the download, which only the person who asked and the bureau may fetch."""
from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, \
    render_template, request, send_file, url_for
from flask_login import current_user

from ...domain.errors import NotFound, ValidationError
from ...services.exports import jobs as export_jobs

bp = Blueprint("exports", __name__, url_prefix="/exports")


def _user():
    return current_user._get_current_object()


def _stale():
    return export_jobs.stale_after(current_app.config)


def ledger_export(values, args):
    """The response of ``/projects/export.xlsx`` for the ledger filters ``values`` (the
    query string ``args``): GET, the workbook when it is small, else the page offering a
    job; POST (that page's form), the job queued and its page."""
    if request.method == "POST":
        return _queue(values, args)
    exported, count = export_jobs.export_or_count(
        values, int(current_app.config["EXPORT_JOB_ROWS"]))
    if exported is not None:
        return Response(exported.data, mimetype=exported.mimetype,
                        headers={"Content-Disposition": exported.content_disposition()})
    return render_template("exports/offer.html", count=count, args=args,
                           limit=int(current_app.config["EXPORT_JOB_ROWS"]),
                           running=export_jobs.in_flight(current_user.id))


def _queue(values, args):
    if export_jobs.export_or_count(values, int(current_app.config["EXPORT_JOB_ROWS"]))[1] is None:
        return redirect(url_for("projects.export", **args))   # small now: written at once
    try:
        job = export_jobs.queue(_user(), values, stale_after=_stale(),
                                instance_path=current_app.instance_path)
    except ValidationError as exc:
        flash(exc.errors.get("__all__", "无法导出。"), "warning")
        running = export_jobs.in_flight(current_user.id)
        if running:
            return redirect(url_for("exports.job", export_id=running[0].id))
        return redirect(url_for("projects.ledger", **args))
    return redirect(url_for("exports.job", export_id=job.id))


def _job(export_id):
    """The job, as it is now (a crashed one failed), for its owner or the bureau only."""
    try:
        found = export_jobs.get(export_id)
    except NotFound:
        abort(404)
    if not current_user.sees_all and found.user_id != current_user.id:
        abort(403)
    return export_jobs.refresh(found, current_app.instance_path, _stale())


@bp.route("/<int:export_id>")
def job(export_id):
    """The job's page: a progress bar (static/app.js follows job_status every second;
    without script the 刷新 link), then the download link."""
    found = _job(export_id)
    return render_template("exports/job.html", job=found,
                           status=export_jobs.status(found, current_app.instance_path))


@bp.route("/<int:export_id>/status.json")
def job_status(export_id):
    found = _job(export_id)
    answer = export_jobs.status(found, current_app.instance_path)
    if found.state == "done":
        answer["url"] = url_for("exports.job", export_id=found.id)
    return jsonify(answer)


@bp.route("/<int:export_id>/download")
def download(export_id):
    """The finished file (its owner and the bureau only); before it is done, the job page."""
    found = _job(export_id)
    if found.state != "done":
        return redirect(url_for("exports.job", export_id=found.id))
    try:
        path, named = export_jobs.download(found, current_app.instance_path)
    except NotFound as exc:
        flash(str(exc), "warning")
        return redirect(url_for("exports.job", export_id=found.id))
    response = send_file(path, mimetype=named.mimetype, conditional=False, etag=False,
                         max_age=0)
    response.headers["Content-Disposition"] = named.content_disposition()
    return response
