"""Many rows in few statements (plumbing below every package): an import's projects, stage
events and audit rows (services.imports.bulk), the years of the projects it created
(services.figures.years). peewee's ``insert_many`` builds a node per value, which costs more
than the database's own work for thousands of rows; :func:`insert_rows` sends one multi-row
INSERT per chunk, its SQL taken from peewee's own for the backend (quoting, placeholders,
RETURNING) and its values through each field's ``db_value`` as ``insert_many`` would."""

from ..db import backend_name

CHUNK = 500          # rows per INSERT (Project has ~30 columns: far below any bind limit)


def _chunks(items, size=CHUNK):
    return (items[start:start + size] for start in range(0, len(items), size))


def _columns(model):
    return [f for f in model._meta.sorted_fields if f is not model._meta.primary_key]


_SQL = {}   # (model, backend, rows, returning) -> the INSERT's text, built once


def _insert_sql(model, fields, count, returning=()):
    """peewee's INSERT of one row for this backend (quoting, placeholders, RETURNING),
    widened to ``count`` rows."""
    key = (model, backend_name(), count, tuple(returning))
    if key not in _SQL:
        _SQL[key] = _widened(model, fields, count, returning)
    return _SQL[key]


def _widened(model, fields, count, returning):
    query = model.insert_many([(None,) * len(fields)], fields=fields)
    one = (query.returning(*returning) if returning else query).sql()[0]
    head, rest = one.split(" VALUES ", 1)
    group, _, tail = rest.partition(")")
    return f"{head} VALUES {', '.join([group + ')'] * count)}{tail}"


def insert_rows(model, rows, returning=()):
    """INSERT ``rows`` ({field name: value}; a missing column takes its default) in
    chunks, each value through its field's ``db_value`` as in ``insert_many``. Returns
    the RETURNING rows. One statement per chunk: peewee's insert_many builds a node per
    value, which costs more than the database's work for thousands of rows."""
    fields, out = _columns(model), []
    rows = list(rows)
    defaults = [(f.name, f.default, f.db_value) for f in fields]
    for chunk in _chunks(rows):
        params = []
        for row in chunk:
            for name, default, db_value in defaults:
                value = row[name] if name in row else (default() if callable(default)
                                                       else default)
                params.append(None if value is None else db_value(value))
        cursor = model._meta.database.execute_sql(
            _insert_sql(model, fields, len(chunk), returning), params)
        if returning:
            out.extend(cursor.fetchall())
    return out
