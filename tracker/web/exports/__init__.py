"""export job pages (issue 18: a large ledger export is written outside the web workers)."""
from .views import bp  # noqa: F401
