"""The judged preview of an upload, kept beside it (issue 18, "Long work off the request
path"): a file is judged once (at its upload, by a preview job for a large file, or again
after a change of 列的对应) and every preview VIEW reads what was judged, one page at a time,
instead of judging every row again. The commit still judges the stored parsed rows again,
so nothing stale is written.

Kept as plain JSON lines in ``<token>.judged`` (store.save_judged; never pickle): the first
line holds what the page shows of the whole file (counts, the column table, skipped rows,
errors, warnings), then one line per judged row with what the preview table shows of it
(status, number, name, team, the values written, warnings, errors, the duplicate it is)."""
import json

from . import store
from .preview import STATUS_LABELS

PAGE_ROWS = 200   # rows of the preview shown per page (the counts are the whole file's)


def _duplicate(row):
    found = row.duplicate_of
    if found is None or isinstance(found, int):
        return found
    return {"id": found.id}   # a project of the ledger


def row_dict(row):
    """What the preview table shows of one judged row (preview.Row)."""
    return {"number": row.number, "status": row.status, "status_label": row.status_label,
            "name": row.name, "team": {"name": row.team.name} if row.team else None,
            "shown": [list(s) for s in row.shown], "events": row.timeline,
            "timeline": row.timeline, "warnings": list(row.warnings),
            "ignored": [list(i) for i in row.ignored], "duplicate_of": _duplicate(row),
            "changes": sorted(row.changes), "errors": [list(e) for e in row.errors]}


def dump(preview):
    """``preview`` (preview.Preview) as JSON lines: the whole file's part, then the rows."""
    head = {"file_name": preview.file_name, "sheet": preview.sheet,
            "ignored": list(preview.ignored), "skipped": [list(s) for s in preview.skipped],
            "columns": [list(c) for c in preview.columns], "blocked": bool(preview.blocked),
            "counts": preview.counts, "errors": [list(e) for e in preview.errors],
            "warnings": [list(w) for w in preview.warnings], "total_rows": len(preview.rows)}
    lines = [head] + [row_dict(row) for row in preview.rows]
    return "\n".join(json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)
                     for line in lines).encode("utf-8")


def save(instance_path, token, preview):
    store.save_judged(instance_path, token, dump(preview))


class StoredPage:
    """One page of a stored judged preview, read as the preview template reads a
    uploads.Page: ``rows`` (dicts) are the page's; counts, errors and warnings the file's."""

    def __init__(self, head, rows, number, pages, size):
        self.__dict__.update(head)
        self.rows, self.number, self.pages, self.size = rows, number, pages, size
        start = (number - 1) * size
        self.first = start + 1 if rows else 0
        self.last = start + len(rows)

    def count(self, status):
        return self.counts.get(status, 0)


def page(instance_path, token, user_id, number, size=None):
    """Page ``number`` of the judged preview kept under ``token`` for ``user_id``, or None
    when none is kept (not judged yet, or judged before a change of 列的对应); raises
    store.Expired when the upload is gone or someone else's."""
    content = store.load_judged(instance_path, token, user_id)
    if content is None:
        return None
    size = size or PAGE_ROWS
    lines = content.split(b"\n")
    head = json.loads(lines[0])
    head["counts"] = {s: head["counts"].get(s, 0) for s in STATUS_LABELS}
    pages = max(1, -(-head["total_rows"] // size))
    number = min(max(1, number), pages)
    start = 1 + (number - 1) * size
    rows = [json.loads(line) for line in lines[start:start + size]]
    return StoredPage(head, rows, number, pages, size)
