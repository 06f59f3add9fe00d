"""Use-cases and queries on top of the models, one package per feature (no request handling).

Features (each package's docstring names its entry modules, what web, CLI and jobs call):
    ledger/      projects: every write and the ledger pages
    imports/     Excel import of projects
    exports/     large ledger exports written as jobs by the scheduler process
    figures/     maintained figures, the nightly recompute, actuals
    targets/     annual targets and county goals
    taskforces/  task forces, members, counties
    progress/    the progress report, snapshots, county pages, exports
    awards/      落地成效 ranking and its freeze
    staleness/   stale-project flags
    bulletin/    the 通报
    mail/        weekly summaries and the outbox
    accounts/    users, sessions, throttling, tokens, the audit page
    backup/      backup and restore
Shared plumbing at this level: tx (the write transaction, lock first), audit (audit rows),
pagination, xlsx (cell rules of every export), links (absolute URLs), compiled (queries
compiled once), health, jobruns (run-once claims of scheduled jobs), jobqueue (claims and
heartbeats of the import and export jobs), dataversion and memo (reports kept per data
version), rows (many rows in few INSERTs), maintenance (the recompute by hand). Packages
depend one way (tests/test_layers.py).
"""
