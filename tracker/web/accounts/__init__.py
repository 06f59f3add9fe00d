"""Accounts: my account, password change, API tokens; user administration (admin)."""
from .views import bp  # noqa: F401
