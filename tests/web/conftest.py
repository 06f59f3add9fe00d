"""Fixtures shared by the page tests (the app, clients and backends come from tests/conftest.py)."""
import pytest

from . import progress_ledger


@pytest.fixture
def built(app):
    """The hand-worked progress ledger of tests/web/progress_ledger.py."""
    with app.app_context():
        return progress_ledger.build()
