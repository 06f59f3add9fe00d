"""The uploaded file between preview and commit (issue "Excel in and out").

The bytes are kept server-side in ``<instance>/imports/<token>.upload`` (whatever the format:
.xlsx, .xls, .ods or .csv, told apart by its bytes when read) beside a small JSON file
naming the user and the original file name; the token is random (32 bytes). The
commit reads the file back by its token and only for the same user: a re-upload is never
trusted. A file is deleted after its commit, and every file older than a day is deleted
whenever the folder is used."""
import json
import os
import re
import secrets
import time

MAX_AGE = 24 * 3600
DATA = ".upload"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class Expired(LookupError):
    """No stored upload for this token and user (unknown, someone else's, or too old)."""


def _folder(instance_path):
    path = os.path.join(instance_path, "imports")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def purge(instance_path, max_age=MAX_AGE, now=None):
    """Delete stored uploads older than ``max_age`` seconds; returns how many."""
    folder, now = _folder(instance_path), now or time.time()
    removed = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > max_age:
                os.remove(path)
                removed += name.endswith((DATA, ".xlsx"))  # .xlsx: kept before formats
        except FileNotFoundError:
            continue
    return removed


def save(instance_path, user_id, file_name, data):
    """Keep ``data`` for ``user_id``; returns the token."""
    purge(instance_path)
    folder, token = _folder(instance_path), secrets.token_urlsafe(32)
    for suffix, content in ((DATA, data),
                            (".json", json.dumps({"user": user_id, "file_name": file_name},
                                                 ensure_ascii=False).encode("utf-8"))):
        fd = os.open(os.path.join(folder, token + suffix), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
    return token


def _paths(instance_path, token):
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise Expired(token)
    folder = _folder(instance_path)
    data = os.path.join(folder, token + DATA)
    if not os.path.exists(data) and os.path.exists(os.path.join(folder, token + ".xlsx")):
        data = os.path.join(folder, token + ".xlsx")  # stored before other formats were read
    return data, os.path.join(folder, token + ".json")


def load(instance_path, token, user_id):
    """``(file name, bytes)`` stored under ``token`` for ``user_id``; raises Expired."""
    purge(instance_path)
    data_path, meta_path = _paths(instance_path, token)
    try:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
        if meta.get("user") != user_id:
            raise Expired(token)
        with open(data_path, "rb") as fh:
            return meta.get("file_name", ""), fh.read()
    except (FileNotFoundError, ValueError):
        raise Expired(token) from None


def delete(instance_path, token):
    for path in _paths(instance_path, token):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
