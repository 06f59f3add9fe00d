"""The 通报 of a checkpoint (开门红, 双过半, Q3, 全年): its content, its 公文 layout, the bureau's
下步要求 and its .docx.

Entry modules:
    checkpoints  the checkpoints a 通报 is written for (开门红, 双过半, 前三季度, 全年)
    report   the 通报's content for a year and checkpoint
    layout   what the page, its print and the .docx lay out alike (版头, 落款, table columns)
    notes    the 下步要求 and 按语 the bureau saves per year and checkpoint
    wording  the sentences of sections 一 and 三
    word     the same as a .docx (GB/T 9704-2012; the format in gbt9704)
"""
