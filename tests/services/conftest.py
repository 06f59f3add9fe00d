"""Fixtures shared by the service tests (the app, db and backends come from tests/conftest.py)."""
import pytest

from tests.factories import make_task_force
from tests.mail_server import SMTPServer


@pytest.fixture
def team(db):
    """One task force, TF1."""
    return make_task_force("TF1")


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free local port."""
    server = SMTPServer().start()
    yield server
    server.stop()
