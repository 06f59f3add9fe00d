"""The import contract of docs/design.md, Layers: arrows only point down.

- ``tracker.web`` and ``tracker.cli`` never import the ORM: not ``tracker.models``,
  ``tracker.db``, ``peewee`` or ``playhouse`` (they call services);
- ``tracker.domain`` imports neither Flask nor peewee nor any other part of tracker;
- services, models and domain never import the web or CLI layers.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path):
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.append(module)
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def files(*folders):
    for folder in folders:
        target = PACKAGE / folder
        yield from sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]


def _violations(folders, forbidden):
    found = []
    for path in files(*folders):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return sorted(set(found))


ORM = ("tracker.models", "tracker.db", "peewee", "playhouse")


def test_web_and_cli_never_import_the_orm():
    assert _violations(["web", "cli"], ORM) == []


def test_domain_is_pure():
    forbidden = ("flask", "flask_login", "flask_wtf", "wtforms", "peewee", "playhouse",
                 "tracker.models", "tracker.db", "tracker.services", "tracker.web", "tracker.cli",
                 "tracker.clock", "tracker.scheduler", "tracker.jobs")
    assert _violations(["domain"], forbidden) == []


@pytest.mark.parametrize("folder", ["services", "models", "domain"])
def test_lower_layers_never_import_upper_ones(folder):
    forbidden = ("tracker.web", "tracker.cli", "tracker.scheduler", "tracker.jobs")
    assert _violations([folder], forbidden) == []


def test_the_contract_sees_a_violation(tmp_path):
    """The checker itself: a view importing peewee and a model is reported."""
    web = tmp_path / "tracker" / "web"
    web.mkdir(parents=True)
    (web / "bad.py").write_text("from peewee import fn\nfrom ..models import Project\n")
    global ROOT, PACKAGE
    saved = ROOT, PACKAGE
    ROOT, PACKAGE = tmp_path, tmp_path / "tracker"
    try:
        assert _violations(["web"], ORM) == [
            "tracker/web/bad.py imports peewee", "tracker/web/bad.py imports peewee.fn",
            "tracker/web/bad.py imports tracker.models",
            "tracker/web/bad.py imports tracker.models.Project"]
    finally:
        ROOT, PACKAGE = saved
