"""Maintained figures: the monthly figures and per-project years kept beside the ledger, the
nightly recompute that repairs them, and the actuals the reports read from them.

Entry modules:
    monthly    settle, check and rebuild the monthly figures (flask figures)
    recompute  the nightly repair of first-reached dates and last progress
Internal: metrics (actuals read from the figures), from_ledger (the same actuals aggregated
from the whole ledger: the definition the figures must equal), years (project_year rows).
"""
