"""跟进记录 pages: the list with filters, the quick entry form, edit and 作废."""
from .views import bp  # noqa: F401
