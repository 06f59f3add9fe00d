"""Reports computed once per change (issue 23): the progress report, a task force's part of it,
the dashboard's 本周动态 and 招商活跃指数, kept per process and keyed per (kind, data version, and
what else the caller names: year, as-of date, options, ...).

The data version (services.dataversion) is read from the database on every call (one
primary-key SELECT), so a report computed before the last committed write that can change a
figure is never shown again, in this process or any other: that write moved the version in
its own transaction. The as-of date is part of the key (the pages default it to today), and
so are the options (ProgressOptions, the settings that judge progress).

Rules that keep it exact:
- inside a transaction nothing is read from or put into the cache (the transaction may see
  its own writes, not yet counted in the version, or roll them back);
- a report is kept only when the version read after computing it equals the one read before
  (no write committed in between, so every read saw the same state);
- without a version row (no counted write yet) nothing is kept.

Per process, bounded (least recently used out first): a report is a few hundred kB of frozen
dataclasses, read by the templates as it is (no copy, no (de)serialising; measured in
docs/performance.md, "Reports computed once per change"). The cached objects are shared by
every caller: treat them as read-only.
"""
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields

from ..db import database
from . import dataversion

SIZE = 64   # reports kept per process (about 48 kB .. 1 MB each)


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    kept: int = 0       # misses whose result was stored


class _LRU:
    def __init__(self, size):
        self.size = size
        self.items = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self):
        with self.lock:
            self.items.clear()


_cache = _LRU(SIZE)
# Small results (a ledger total: three numbers per filter set) kept apart, so the many
# filter sets of the ledger never push a report out.
SMALL_SIZE = 2048
_small = _LRU(SMALL_SIZE)
stats = Stats()
enabled = True   # bench/bench_http.py (the "before" column) and tests switch it off


def options_key(options):
    """A hashable key equal for equal ProgressOptions (dicts as sorted pairs)."""
    out = []
    for f in fields(options):
        value = getattr(options, f.name)
        if isinstance(value, dict):
            value = tuple(sorted(value.items()))
        out.append(value)
    return tuple(out)


def remembered(kind, key, compute, small=False):
    """``compute()``'s report, computed at most once per data version in this process;
    ``key`` (a hashable tuple) names everything else it depends on. ``small``: kept among
    the small results (SMALL_SIZE of them), not the reports."""
    if not enabled or database.in_transaction():
        return compute()
    cache = _small if small else _cache
    version = dataversion.current()
    full = (kind, version, key)
    if version is not None:
        found = cache.get(full)
        if found is not None:
            stats.hits += 1
            return found
    stats.misses += 1
    value = compute()
    if version is not None and dataversion.current() == version:
        cache.put(full, value)
        stats.kept += 1
    return value


def clear():
    """Forget every report of this process (tests)."""
    _cache.clear()
    _small.clear()
    stats.hits = stats.misses = stats.kept = 0
