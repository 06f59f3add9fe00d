"""One pagination helper for every paged list (ledger, outbox, stale projects), and the
keyset ("seek") step the ledger uses for its next/previous links: the rows after or
before a cursor (sort key + id) instead of an OFFSET that reads every skipped row."""
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    rows: list
    page: int       # 1-based, clamped to 1..pages
    pages: int      # at least 1
    total: int
    per_page: int
    # keyset cursors of the last / first row (None: no such link, or not a keyset list)
    next_cursor: str = None
    prev_cursor: str = None

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


def page_number(raw):
    """A page number from a query-string value: anything not a positive integer is 1."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 2**31 - 1 else 1


def page_of(fetch, total, page, per_page):
    """The page ``page`` (clamped to 1..pages) of ``total`` rows; ``fetch(limit, offset)``
    returns that page's rows (skipped when there are none)."""
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = list(fetch(per_page, (page - 1) * per_page)) if total else []
    return Page(rows=rows, page=page, pages=pages, total=total, per_page=per_page)


def paginate(query, page, per_page, total=None):
    """Rows of ``page`` (clamped to the last page) of a peewee ``query``; ``total`` may be
    given when the caller already counted (e.g. from a summary aggregate)."""
    total = query.count() if total is None else total
    return page_of(lambda limit, offset: query.limit(limit).offset(offset), total, page,
                   per_page)


def seek_condition(key, ident, value, ident_value, descending, forward):
    """Rows after (``forward``) or before the cursor ``(value, ident_value)`` in the order
    ``key, ident`` (both descending or both ascending). The first term is a plain range
    on ``key`` so an index on it is used; the second one breaks ties by ``ident``."""
    if descending == forward:   # later rows have smaller keys
        return (key <= value) & ((key < value) | (ident < ident_value))
    return (key >= value) & ((key > value) | (ident > ident_value))


def cursor_args(raw_after, raw_before):
    """("after" | "before", token) from the query string's ``after`` / ``before`` (None when
    neither is given; ``after`` wins). Tokens are checked by the list that made them."""
    for direction, raw in (("after", raw_after), ("before", raw_before)):
        if raw and len(raw) <= 400:
            return direction, raw
    return None
