"""The layer contract for the API, login, accounts, tokens and scheduler commands: none of
these modules imports the ORM (tracker.models, tracker.db, peewee, playhouse)."""
import ast
import pathlib

import pytest

TRACKER = pathlib.Path(__file__).resolve().parent.parent / "tracker"
ORM = ("tracker.models", "tracker.db", "peewee", "playhouse")
FILES = ["web/api/views.py", "web/api/__init__.py", "web/auth/views.py", "web/auth/forms.py",
         "web/errors.py", "web/permissions.py", "web/requests.py", "web/__init__.py",
         "cli/users.py", "cli/tokens.py", "cli/scheduler.py", "cli/db.py", "cli/errors.py"]


def _absolute(path, node):
    if not node.level:
        return node.module or ""
    package = ("tracker/" + path).split("/")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path):
    for node in ast.walk(ast.parse((TRACKER / path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("path", FILES)
def test_never_imports_the_orm(path):
    bad = [n for n in _imports(path) if any(n == f or n.startswith(f + ".") for f in ORM)]
    assert bad == []


def test_the_check_resolves_relative_imports():
    node = ast.parse("from ...models import User").body[0]
    assert _absolute("web/api/views.py", node) == "tracker.models"
