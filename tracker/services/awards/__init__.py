"""落地成效 (awards): the yearly ranking of signed projects that landed, and its freeze.

Entry modules:
    ranking   the ranking (live or frozen) and its export
    freezing  冻结 (a running year only with a reason) and the admin's 撤销冻结
"""
