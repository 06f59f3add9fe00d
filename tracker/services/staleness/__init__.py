"""Stale projects (60天未推进 / 90天未推进 / 建议退库): the daily scan and the lists.

Entry modules:
    flags    the scan and the lists of open flags
Internal: project (one project's flag brought in line inside a write).
"""
