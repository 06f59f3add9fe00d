"""Exports too large for a web request, written by the scheduler process (issue 18, "Long
work"): the ledger's .xlsx export of more than EXPORT_JOB_ROWS projects.

Entry modules (what web, CLI and jobs call):
    jobs    queue an export (a small one is written at once), run it, its file, removal
"""
