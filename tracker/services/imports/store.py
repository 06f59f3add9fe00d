"""The uploaded file between preview and commit (issue "Excel in and out").

The bytes are kept server-side in ``<instance>/imports/<token>.upload`` (whatever the format:
.xlsx, .xls, .ods or .csv, told apart by its bytes when read) beside a small JSON file
naming the user and the original file name; the token is random (32 bytes). The
commit reads the file back by its token and only for the same user: a re-upload is never
trusted. A file is deleted after its commit, and every file older than a day is deleted
whenever the folder is used.

The file is parsed once, at its upload (issue 18): the parsed rows are kept beside it in
``<token>.parsed`` (plain JSON, never pickle: :func:`save_parsed`), so a preview view or the
commit reads them back instead of reading the sheet again; the judged preview is kept in
``<token>.judged`` (services.imports.judged), read by every preview view. An import job
running outside the web workers writes its progress to ``<token>.progress`` (:func:`write_progress`): the
job page reads it while the job's one write transaction is still open (on SQLite no other
connection may write then)."""
import dataclasses
import datetime
import json
import os
import re
import secrets
import time

MAX_AGE = 24 * 3600
DATA = ".upload"
PARSED = ".parsed"
PROGRESS = ".progress"
JUDGED = ".judged"
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


def _side(instance_path, token, suffix):
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise Expired(token)
    return os.path.join(_folder(instance_path), token + suffix)


def _write_atomic(path, content):
    temp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    os.replace(temp, path)


def _owned(instance_path, token, user_id):
    """``(file name, path of the stored bytes)`` of an upload kept for ``user_id``; raises
    Expired when it is gone, unreadable or someone else's."""
    data_path, meta_path = _paths(instance_path, token)
    try:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except (FileNotFoundError, ValueError):
        raise Expired(token) from None
    if meta.get("user") != user_id:
        raise Expired(token)
    return meta.get("file_name", ""), data_path


def load(instance_path, token, user_id):
    """``(file name, bytes)`` stored under ``token`` for ``user_id``; raises Expired."""
    purge(instance_path)
    file_name, data_path = _owned(instance_path, token, user_id)
    try:
        with open(data_path, "rb") as fh:
            return file_name, fh.read()
    except FileNotFoundError:
        raise Expired(token) from None


def delete(instance_path, token):
    sides = tuple(_side(instance_path, token, suffix) for suffix in (PARSED, PROGRESS, JUDGED))
    for path in _paths(instance_path, token) + sides:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


# --- the parsed rows, kept once --------------------------------------------------------

_TAGS = {"d": datetime.date, "dt": datetime.datetime, "t": datetime.time}


def _encode(value):
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"t": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"s": value.total_seconds()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _decode(value):
    if isinstance(value, dict):
        (tag, text), = value.items()
        if tag == "s":
            return datetime.timedelta(seconds=text)
        return _TAGS[tag].fromisoformat(text)
    return value


def parsed_dump(parsed):
    """``parsed`` (parse.ParsedFile) as JSON bytes: the row keys once, then each row as
    [number, [values], {key: error}]; dates and times tagged."""
    keys = list(parsed.rows[0][1]) if parsed.rows else []
    rest = {f.name: getattr(parsed, f.name) for f in dataclasses.fields(parsed)
            if f.name not in ("rows", "columns")}
    out = {"columns": {k: str(v) for k, v in parsed.columns.items()}, "keys": keys,
           "rows": [[n, [_encode(data.get(k)) for k in keys], errors]
                    for n, data, errors in parsed.rows], "rest": rest}
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def parsed_load(content, parsed_class):
    """The ``parsed_class`` (parse.ParsedFile) that :func:`parsed_dump` wrote."""
    raw = json.loads(content)
    keys = raw["keys"]
    rows = [(n, dict(zip(keys, map(_decode, values))), errors)
            for n, values, errors in raw["rows"]]
    rest = raw["rest"]
    if "headings" in rest:
        rest["headings"] = {k: tuple(v) for k, v in rest["headings"].items()}
    names = {f.name for f in dataclasses.fields(parsed_class)}
    return parsed_class(columns=raw["columns"], rows=rows,
                        **{k: v for k, v in rest.items() if k in names})


def save_parsed(instance_path, token, parsed):
    _write_atomic(_side(instance_path, token, PARSED), parsed_dump(parsed))


def load_parsed(instance_path, token, user_id, parsed_class):
    """``(file name, parsed file)`` kept under ``token`` for ``user_id``, or ``(file name,
    None)`` for an upload kept before the parsed rows were (read its bytes then)."""
    file_name, _ = describe(instance_path, token, user_id)
    try:
        with open(_side(instance_path, token, PARSED), "rb") as fh:
            return file_name, parsed_load(fh.read(), parsed_class)
    except FileNotFoundError:
        return file_name, None


def describe(instance_path, token, user_id):
    """``(file name, size of the stored bytes)`` of the upload; raises Expired."""
    file_name, data_path = _owned(instance_path, token, user_id)
    try:
        return file_name, os.path.getsize(data_path)
    except FileNotFoundError:
        raise Expired(token) from None


# --- the judged preview, kept once (services.imports.judged) ------------------------------

def save_judged(instance_path, token, content):
    _write_atomic(_side(instance_path, token, JUDGED), content)


def drop_judged(instance_path, token):
    """Forget the judged preview (its file is judged again: the mapping changed)."""
    try:
        os.remove(_side(instance_path, token, JUDGED))
    except FileNotFoundError:
        pass


def load_judged(instance_path, token, user_id):
    """The judged preview's bytes kept under ``token`` for ``user_id``, or None when none
    is kept; raises Expired."""
    describe(instance_path, token, user_id)
    try:
        with open(_side(instance_path, token, JUDGED), "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


# --- a running job's progress ------------------------------------------------------------

def write_progress(instance_path, token, done, total):
    """Record ``done`` of ``total`` rows now (read by :func:`read_progress`)."""
    body = json.dumps({"done": done, "total": total, "at": time.time()}).encode()
    _write_atomic(_side(instance_path, token, PROGRESS), body)


def read_progress(instance_path, token):
    """``(done, total, unix time written)`` or None."""
    try:
        with open(_side(instance_path, token, PROGRESS), encoding="utf-8") as fh:
            found = json.load(fh)
        return int(found["done"]), int(found["total"]), float(found["at"])
    except (FileNotFoundError, ValueError, KeyError, TypeError, Expired):
        return None
