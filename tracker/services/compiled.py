"""Queries whose SQL peewee builds once per process and database kind, then runs again with
other values (README "Performance", Per request).

Peewee turns a query into SQL text on every execution. For the small queries of every
request that is most of their cost: the session lookup (a 17-column join) took ~0.5-1 ms to
build and ~0.1 ms to run on SQLite. A :class:`Compiled` query is built by ``build(*marks)``
once per database class (the SQL text depends only on the dialect); each :meth:`run` puts
its values where the marks were and reads the rows through the query's own cursor wrapper,
so models, joins and column conversions are exactly what the plain query returns. Tuples
are converted in one pass over ``fetchall()`` with the wrapper's own converters (peewee's
row-by-row iteration cost as much as the conversions themselves).

Values are passed to the driver as they are (no field conversion): give ints and strs.
``build`` must give the same SQL for every value, so no ``None`` (``IS NULL``), no
``contains()`` (the value is wrapped in Python) and no list whose length varies (key a
Compiled per length instead).
"""
from peewee import ModelTupleCursorWrapper, Value

from ..db import database


class _Mark:
    """Where the ``index``-th value of :meth:`Compiled.run` goes."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class Compiled:
    def __init__(self, build, arity=0):
        self._build, self._arity = build, arity
        self._by_kind = {}  # database class -> (query, sql, params with marks)

    def _compile(self, db):
        marks = [Value(_Mark(i), converter=False) for i in range(self._arity)]
        query = self._build(*marks)
        sql, params = db.get_sql_context().sql(query).query()
        found = sorted(p.index for p in params if isinstance(p, _Mark))
        if found != list(range(self._arity)):
            raise ValueError(f"each mark must appear once in the SQL, found {found}")
        return query, sql, tuple(params)

    def sql(self):
        """(query, SQL text, parameters with marks) for the current database."""
        db = database.obj
        entry = self._by_kind.get(type(db))
        if entry is None:
            entry = self._by_kind[type(db)] = self._compile(db)
        return entry

    def _execute(self, values):
        """(query, cursor) of the SQL run with ``values`` in place of its marks."""
        if len(values) != self._arity:
            raise TypeError(f"expected {self._arity} values, got {len(values)}")
        query, sql, params = self.sql()
        return query, database.execute_sql(
            sql, [values[p.index] if isinstance(p, _Mark) else p for p in params])

    def run(self, *values):
        """The rows of the query with ``values`` in place of its marks (a list)."""
        query, cursor = self._execute(values)
        wrapper = query._get_cursor_wrapper(cursor)
        if isinstance(wrapper, ModelTupleCursorWrapper):
            return _tuples(wrapper, cursor)
        return list(wrapper)

    def execute(self, *values):
        """Run a write (UPDATE, DELETE) with ``values`` in place of its marks; the number of
        rows it changed."""
        return self._execute(values)[1].rowcount

    def first(self, *values):
        rows = self.run(*values)
        return rows[0] if rows else None


def _tuples(wrapper, cursor):
    """The rows of a tuples() query, converted as ModelTupleCursorWrapper.process_row does."""
    rows = cursor.fetchall()
    if rows:
        wrapper.initialize()       # reads cursor.description: before the cursor is closed
    cursor.close()
    if not rows:
        return []
    convert = [(i, c) for i, c in enumerate(wrapper.converters) if c is not None]
    out = []
    for row in rows:
        row = list(row)
        for i, converter in convert:
            row[i] = converter(row[i])
        out.append(tuple(row))
    return out


class CompiledFamily:
    """One :class:`Compiled` per shape key (e.g. a list's length), made on first use;
    ``build(key, *marks)``. Bounded: the shapes a caller makes are few."""

    def __init__(self, build, arity_of, limit=256):
        self._build, self._arity_of, self._limit = build, arity_of, limit
        self._members = {}

    def __getitem__(self, key):
        member = self._members.get(key)
        if member is None:
            if len(self._members) >= self._limit:
                self._members.clear()
            build = self._build
            member = self._members[key] = Compiled(lambda *marks: build(key, *marks),
                                                   self._arity_of(key))
        return member
