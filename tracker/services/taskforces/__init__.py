"""Task forces (招商专班): create and edit, members and counties, the overview and funnel.

Entry modules:
    teams   every task-force use-case and query
"""
