"""The bureau's review of writes into closed quarters (更正申请; docs/design.md, Closed periods).

Entry modules (what web, CLI and jobs call):
    requests  the 待审核 list; approve (the held write made by its own use-case), reject, withdraw
"""
