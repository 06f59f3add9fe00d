"""督办: the bureau's supervision items with deadlines, and their threads (issue 22).

Entry modules (what web, CLI and jobs call):
    items    交办, 进展反馈, 办结, 退回 (the write path)
    listing  the list with its filters and counts, one item's thread, who may read or reply
    overdue  督办逾期 for the weekly mail and the 通报 (count, oldest), a member's 待办, a team's open items
    export   the list as .xlsx with its filters
"""
