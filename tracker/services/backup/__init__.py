"""Backup and restore of the whole database (flask backup / flask restore).

Entry modules:
    archive   backup and restore
Internal: files (the backup file format), restore (rows into an empty database).
"""
