"""Excel import use-cases for the upload page and ``flask import-projects`` (issue "Excel in
and out"): read a file safely (import_parse), judge it (project_import.preview), keep it
between preview and commit (import_store), write it in one transaction (import_commit).
Every refusal is a ValidationError: ``file`` for the file as a whole, ``task_force`` for an
unknown ``--task-force``, ``__all__`` for an expired upload or a row that failed."""
from ...domain.errors import ValidationError
from . import (commit as import_commit, parse as import_parse, store,
    preview as project_import)
from .commit import SKIP

EXPIRED = "导入文件已过期（保留一天）或不属于您，请重新上传。"


def preview_bytes(user, data, file_name, max_bytes, *, task_force=None):
    """The preview of ``data`` (.xlsx bytes); nothing is written."""
    try:
        parsed = import_parse.parse(data, max_bytes, need_task_force=not task_force)
        return project_import.preview(user, parsed, task_force=task_force, file_name=file_name)
    except import_parse.FileRefused as exc:
        raise ValidationError({"file": str(exc)}) from None
    except LookupError as exc:
        raise ValidationError({"task_force": str(exc.args[0])}) from None


def upload(instance_path, user, file_name, data, max_bytes):
    """Judge an uploaded file and keep it for its commit: ``(token, preview)``. A refused
    file is not kept."""
    preview = preview_bytes(user, data, file_name, max_bytes)
    return store.save(instance_path, user.id, file_name, data), preview


def stored_preview(instance_path, token, user, max_bytes):
    """The preview of the file kept under ``token`` for ``user`` (judged again now)."""
    try:
        file_name, data = store.load(instance_path, token, user.id)
    except store.Expired:
        raise ValidationError({"__all__": EXPIRED}) from None
    return preview_bytes(user, data, file_name, max_bytes)


def commit_stored(instance_path, token, user, max_bytes, *, choices=None, on_duplicate=SKIP):
    """Commit the file kept under ``token`` (judged again, never a re-upload), then delete
    it. Returns ``(batch, preview)``."""
    preview = stored_preview(instance_path, token, user, max_bytes)
    batch = import_commit.commit(user, preview, choices=choices, on_duplicate=on_duplicate)
    store.delete(instance_path, token)
    return batch, preview


def import_file(user, data, file_name, max_bytes, *, task_force=None, dry_run=False,
                on_duplicate=SKIP):
    """The command's use-case: ``(batch or None, preview)``."""
    preview = preview_bytes(user, data, file_name, max_bytes, task_force=task_force)
    if dry_run:
        return None, preview
    return import_commit.commit(user, preview, on_duplicate=on_duplicate), preview


def discard(instance_path, token):
    """Forget an upload the person cancelled."""
    try:
        store.delete(instance_path, token)
    except store.Expired:
        pass
