"""The 通报 of a checkpoint (开门红, 双过半, Q3, 全年): its content and its .docx.

Entry modules:
    report   the 通报's content for a year and checkpoint
    word     the same as a .docx
"""
