"""Cache headers of the static files (the stylesheet and the favicon): fingerprinted URLs.

``url_for('static', filename=...)`` gets ``?v=<first 12 hex digits of the file's SHA-256>``
(a url_defaults hook), so every page names the exact content it was rendered with. A request
whose ``v`` is the file's current hash is answered with ``Cache-Control: public,
max-age=31536000, immutable``: the browser never asks again, and a changed file has a new
URL. Any other request of a static file (no ``v``, or an old one) keeps Flask's answer:
``no-cache`` with ``ETag`` and ``Last-Modified``, i.e. revalidated every time (304 when
unchanged). Why not ETag alone: every page view would still cost one round trip per file.

The hash is computed once per file and again only when its size or mtime changes (a deploy),
so a request costs one ``stat``. Behind nginx, the same rule is written in
docs/deploy/nginx.conf.
"""
import hashlib
import os
import threading
from stat import S_ISREG

from flask import current_app, request
from werkzeug.security import safe_join

ONE_YEAR = 365 * 24 * 3600
_hashes = {}  # absolute path -> (mtime_ns, size, hash)
_lock = threading.Lock()


def fingerprint(filename, folder=None):
    """The content hash of a static file (12 hex digits), or None when it does not exist."""
    path = safe_join(folder or current_app.static_folder, filename)
    try:
        stat = os.stat(path) if path else None
    except OSError:
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):   # a file (from the one stat)
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        known = _hashes.get(path)
    if known and known[:2] == key:
        return known[2]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    value = digest.hexdigest()[:12]
    with _lock:
        _hashes[path] = (*key, value)
    return value


def add_version(endpoint, values):
    """url_defaults: ``?v=<hash>`` on every URL of a static file (unless one is given)."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = fingerprint(values["filename"])
        if version:
            values["v"] = version


def cache_headers(response):
    """after_request: a year, immutable, for a static file asked for by its current hash."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    version = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if version and filename and version == fingerprint(filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
        response.expires = None
    return response


def init_app(app):
    app.url_defaults(add_version)
    app.after_request(cache_headers)
