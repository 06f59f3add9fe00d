"""落地成效 (awards): the yearly ranking of signed projects that landed, and its freeze.

Entry modules:
    ranking   the ranking, its export and the freeze
"""
