"""Excel import use-cases for the upload page and ``flask import-projects`` (issue "Excel in
and out"): read a file safely (import_parse), judge it (project_import.preview), keep it
between preview and commit (import_store), write it in one transaction (import_commit).
Every refusal is a ValidationError: ``file`` for the file as a whole, ``task_force`` for an
unknown ``--task-force``, ``__all__`` for an expired upload or a row that failed.

An upload is read once (issue 18): its parsed rows are kept beside the bytes (store.save_parsed)
and the commit judges those rows again (against the ledger as it is then) without reading
the sheet again; a preview VIEW reads the judged preview kept at the upload
(services.imports.judged) and judges nothing. A large file is judged by a preview job, a
large commit runs as a job (services.imports.jobs).
"""
from ...domain.errors import ValidationError
from . import (commit as import_commit, judged, parse as import_parse, store,
    preview as project_import)
from .commit import SKIP

EXPIRED = "导入文件已过期（保留一天）或不属于您，请重新上传。"
PAGE_ROWS = 200   # rows of the preview shown per page (the counts are the whole file's)


class Page:
    """One page of a preview: ``rows`` are the page's rows; ``total_rows``, the counts and
    the errors (every other attribute) are the whole file's."""

    def __init__(self, preview, number, size=None):
        size = size or PAGE_ROWS
        self.preview, self.size = preview, size
        self.total_rows = len(preview.rows)
        self.pages = max(1, -(-self.total_rows // size))
        self.number = min(max(1, number), self.pages)
        start = (self.number - 1) * size
        self.rows = preview.rows[start:start + size]
        self.first = start + 1 if self.rows else 0
        self.last = start + len(self.rows)

    def __getattr__(self, name):
        return getattr(self.preview, name)


def parse_bytes(data, max_bytes, *, task_force=None):
    """The parse.ParsedFile of ``data``; a refused file is a ValidationError of ``file``."""
    try:
        return import_parse.parse(data, max_bytes, need_task_force=not task_force)
    except import_parse.FileRefused as exc:
        raise ValidationError({"file": str(exc)}) from None


def preview_parsed(user, parsed, file_name, *, task_force=None):
    """The preview of the rows of ``parsed``; nothing is written."""
    try:
        return project_import.preview(user, parsed, task_force=task_force, file_name=file_name)
    except LookupError as exc:
        raise ValidationError({"task_force": str(exc.args[0])}) from None


def preview_bytes(user, data, file_name, max_bytes, *, task_force=None):
    """The preview of ``data`` (.xlsx bytes); nothing is written."""
    parsed = parse_bytes(data, max_bytes, task_force=task_force)
    return preview_parsed(user, parsed, file_name, task_force=task_force)


def upload(instance_path, user, file_name, data, max_bytes):
    """Judge an uploaded file and keep it, with its parsed rows and its judged preview
    (judged.save), for its commit: ``(token, preview)``. A refused file is not kept."""
    parsed = parse_bytes(data, max_bytes)
    preview = preview_parsed(user, parsed, file_name)
    token = store.save(instance_path, user.id, file_name, data)
    store.save_parsed(instance_path, token, parsed)
    judged.save(instance_path, token, preview)
    return token, preview


def judge_stored(instance_path, token, user, max_bytes):
    """Judge the file kept under ``token`` (parsed now if it was not yet) and keep its
    judged preview for the preview views; returns the preview."""
    preview = stored_preview(instance_path, token, user, max_bytes)
    judged.save(instance_path, token, preview)
    return preview


def judged_page(instance_path, token, user_id, number):
    """Page ``number`` of the kept judged preview (judged.page), or None."""
    try:
        return judged.page(instance_path, token, user_id, number, PAGE_ROWS)
    except store.Expired:
        raise ValidationError({"__all__": EXPIRED}) from None


def stored_parsed(instance_path, token, user_id, max_bytes):
    """``(file name, parsed file)`` kept under ``token`` for ``user_id`` (an upload kept
    before its parsed rows were is read once more and its rows kept now)."""
    try:
        file_name, parsed = store.load_parsed(instance_path, token, user_id,
                                              import_parse.ParsedFile)
        if parsed is None:
            file_name, data = store.load(instance_path, token, user_id)
            parsed = parse_bytes(data, max_bytes)
            store.save_parsed(instance_path, token, parsed)
    except store.Expired:
        raise ValidationError({"__all__": EXPIRED}) from None
    return file_name, parsed


def stored_preview(instance_path, token, user, max_bytes):
    """The preview of the file kept under ``token`` for ``user`` (its rows judged again
    now, not read again)."""
    file_name, parsed = stored_parsed(instance_path, token, user.id, max_bytes)
    return preview_parsed(user, parsed, file_name)


def commit_stored(instance_path, token, user, max_bytes, *, choices=None, on_duplicate=SKIP,
                  acknowledged=False):
    """Commit the file kept under ``token`` (judged again, never a re-upload), then delete
    it. Returns ``(batch, preview)``."""
    preview = stored_preview(instance_path, token, user, max_bytes)
    batch = import_commit.commit(user, preview, choices=choices, on_duplicate=on_duplicate,
                                 acknowledged=acknowledged)
    store.delete(instance_path, token)
    return batch, preview


def import_file(user, data, file_name, max_bytes, *, task_force=None, dry_run=False,
                on_duplicate=SKIP):
    """The command's use-case: ``(batch or None, preview)``."""
    preview = preview_bytes(user, data, file_name, max_bytes, task_force=task_force)
    if dry_run:
        return None, preview
    # a command has no checkbox: its output lists the warnings (cli/imports.py)
    return import_commit.commit(user, preview, on_duplicate=on_duplicate,
                                acknowledged=True), preview


def discard(instance_path, token):
    """Forget an upload the person cancelled."""
    try:
        store.delete(instance_path, token)
    except store.Expired:
        pass
