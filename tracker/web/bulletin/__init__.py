"""通报 pages (printable bulletin per checkpoint, .docx download)."""
from .views import bp  # noqa: F401
