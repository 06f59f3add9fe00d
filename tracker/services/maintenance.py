"""Maintenance run by hand (``flask recompute``): the nightly recompute, and on today's date
the staleness scan, in one transaction."""
from .figures import recompute
from .staleness import flags
from . import tx


def recompute_now(as_of, scan_staleness=False, stale=None):
    """``(recompute result, staleness scan result or None)``, written in one transaction;
    ``stale``: the scan's StaleOptions (the defaults when left out)."""
    with tx.write():
        result = recompute.recompute(as_of)
        scan = flags.scan(as_of, stale) if scan_staleness else None
    return result, scan
