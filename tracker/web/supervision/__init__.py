"""督办 pages: the list with its filters and counts, 交办, one item with its thread and actions."""
from .views import bp  # noqa: F401
