"""更正申请 pages: the bureau's 待审核 list, one request with its decision forms."""
from .views import bp  # noqa: F401
