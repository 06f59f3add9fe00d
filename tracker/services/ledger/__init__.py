"""The project ledger (台账): every write to a project and what the project pages read.

Entry modules (what web, CLI and jobs call):
    projects     create, edit, stage changes, 到位资金, 增资, 退库 (the write path)
    corrections  作废 of a stage event, receipt or increase
    listing      the filtered, sorted, paged ledger and its totals
    choices      what a user may pick or see (task forces, owners, filters)
    timeline     one project's history, receipts and increases
    history      one project's audit trail in words
    inputs       the editable fields, their labels and cleaning
    export       the ledger as .xlsx
    closed       the closed-period rule inside a write (imports and the follow-up log use it)
Internal: amounts (更正/变更 of the two amounts), cursor (keyset paging), describe (a held
write in words).
"""
