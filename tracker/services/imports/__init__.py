"""Excel import of projects (台账导入): read a file safely, judge every row, keep the upload
between preview and commit, write the new rows in one transaction.

Entry modules:
    uploads   the use-cases: upload, preview, commit, discard, import a file (CLI)
    preview   the judgement of each row and its status labels
    commit    the batches written and their projects
    template  the .xlsx template to fill in
    undo      撤销本批导入: what undoing a batch would do, and the undo itself
    jobs      a large commit queued, claimed and run outside the web workers, its progress
    mapping   列的对应: each column imported as a field or not, remembered per user and task force
Internal: parse (a file into rows: its header, cells, refusals) reading through sheets (any
format into one sheet: .xlsx, .xls, .ods, .csv) with zipped (zip and XML checks), ole2 (the
.xls container and records) and delimited (.csv); lookups (task forces, counties and users
by name), shown (what the preview shows of a row), plan (one row as the write path would
write it), bulk (the planned rows written in chunks), store (the upload kept server-side),
judged (the preview judged once, kept as JSON), checks (the plausibility warnings and their
acknowledgment).
"""
