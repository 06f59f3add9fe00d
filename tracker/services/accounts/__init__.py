"""Accounts: users, sessions, login throttling, API tokens and the audit page.

Entry modules:
    users      create, edit, deactivate, reactivate, reset passwords
    sessions   sign-in sessions: start, check, end
    throttle   login failures and lockouts
    tokens     API tokens
    audit_log  the audit page and the login history
    prune      nightly pruning of old login attempts and ended sessions
"""
