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


def resolved_imports(path):
    """(tree, [(node, module, name, local)]): every import of ``path`` with relative modules
    resolved; ``import a.b`` gives name None, ``from a import b`` gives module a, name b."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node, a.name, None, a.asname or a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.extend((node, module, a.name, a.asname or a.name) for a in node.names)
    return tree, out


def imports_of(path):
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    names = []
    for _node, module, name, _local in resolved_imports(path)[1]:
        names.append(module)
        if name is not None:
            names.append(f"{module}.{name}")
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
    forbidden = ("tracker.web", "tracker.cli", "tracker.scheduler", "tracker.jobs",
                 "tracker.settings")
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


# --- services by area (docs/design.md, Layout) --------------------------------------------

SERVICES = PACKAGE / "services"
PLUMBING = {"tx", "audit", "pagination", "xlsx", "links", "compiled", "health", "jobruns",
            "jobqueue", "dataversion", "memo", "rows"}
# Package-level arrows allowed inside tracker.services (an arrow points down: the left side
# may import the right side). Plumbing is below every package; "maintenance" (the recompute
# by hand) sits on top of the two it runs.
ALLOWED = {
    "figures": set(),
    "staleness": set(),
    "taskforces": set(),
    "backup": set(),
    "ledger": {"figures", "staleness"},
    "targets": {"figures", "taskforces"},
    "imports": {"ledger", "figures", "staleness"},
    "accounts": {"ledger"},
    "progress": {"targets", "figures", "staleness", "taskforces"},
    "awards": {"figures"},
    "bulletin": {"progress", "staleness", "activities", "supervision"},
    "mail": {"progress", "staleness", "activities", "supervision", "robots"},
    "maintenance": {"figures", "staleness"},
    "exports": {"ledger"},
    "activities": {"ledger", "figures", "staleness"},
    "reviews": {"ledger", "activities"},
    "supervision": {"ledger"},
    "reminders": {"mail", "robots", "staleness"},
    "robots": set(),
}


def _area(module):
    """The package (or top-level module) of tracker.services that ``module`` belongs to."""
    parts = module.split(".")
    if parts[:2] != ["tracker", "services"] or len(parts) < 3:
        return None
    return parts[2]


def _service_modules():
    return {_module_name(p): p for p in sorted(SERVICES.rglob("*.py"))}


def package_arrows():
    arrows = set()
    for name, path in _service_modules().items():
        source = _area(name)
        for imported in imports_of(path):
            target = _area(imported)
            if source and target and target != source and target not in PLUMBING:
                arrows.add((source, target))
    return arrows


def test_service_packages_point_one_way():
    assert sorted(a for a in package_arrows() if a[1] not in ALLOWED.get(a[0], set())) == []


def test_the_allowed_package_arrows_have_no_circle():
    done, active = set(), set()

    def visit(node, path):
        assert node not in active, f"circle: {' -> '.join(path + [node])}"
        if node in done:
            return
        active.add(node)
        for nxt in ALLOWED.get(node, ()):
            visit(nxt, path + [node])
        active.discard(node)
        done.add(node)

    for node in ALLOWED:
        visit(node, [])


def test_every_service_package_is_in_the_map():
    packages = {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    flat = {p.stem for p in SERVICES.glob("*.py") if p.stem != "__init__"}
    assert packages | (flat - PLUMBING) == set(ALLOWED)


def _top_level_definitions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try)):
            names.update(n.name for n in ast.walk(node)
                         if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
    return names


def _resolved_from_imports(path):
    """(tree, [(node, module, name, local)]) of every ``from X import name`` in ``path``."""
    tree, found = resolved_imports(path)
    return tree, [row for row in found if row[2] is not None]


def _code_files():
    for folder in ("tracker", "tests", "bench", "migrations"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "seed.py"


def test_one_door_per_name():
    """A service name is imported from the module that defines it, never from one that
    merely imports it (no re-export shims), by name or as ``module.name``."""
    modules = _service_modules()
    defined = {name: _top_level_definitions(path) for name, path in modules.items()}
    found = []
    for path in _code_files():
        tree, imports = _resolved_from_imports(path)
        aliases = {}
        for node, module, name, local in imports:
            if f"{module}.{name}" in modules:
                aliases[local] = f"{module}.{name}"
            elif module in modules and name not in defined[module] and name != "*":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}.{name}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases):
                module = aliases[node.value.id]
                if module in defined and node.attr not in defined[module] \
                        and f"{module}.{node.attr}" not in modules:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}.{node.attr}")
    assert found == []


def test_no_import_of_another_modules_private_names():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree, imports = _resolved_from_imports(path)
        me = _module_name(path)
        modules = {}
        for node, module, name, local in imports:
            if name.startswith("_") and not name.startswith("__") and module != me:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}.{name}")
            if module.startswith("tracker"):
                modules[local] = f"{module}.{name}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules and node.attr.startswith("_")
                    and not node.attr.startswith("__") and node.attr != "_meta"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} "
                             f"{modules[node.value.id]}.{node.attr}")
    assert found == []


def entry_modules(package_dir):
    """The names listed under "Entry modules" in a package's docstring."""
    doc = ast.get_docstring(ast.parse((package_dir / "__init__.py").read_text(encoding="utf-8")))
    names, listing = set(), False
    for line in (doc or "").splitlines():
        if line.startswith("Entry modules"):
            listing = True
        elif listing and not line.strip():
            break
        elif listing and line.startswith("    "):
            names.add(line.split()[0])
        elif listing:
            break
    return names


def test_every_package_names_its_entry_modules():
    for package in sorted(p for p in SERVICES.iterdir() if (p / "__init__.py").exists()):
        entries = entry_modules(package)
        assert entries, package.name
        assert entries <= {p.stem for p in package.glob("*.py")}, package.name


def test_web_cli_and_jobs_call_only_entry_modules():
    entries = {p.name: entry_modules(p) for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    found = []
    callers = list(files("web", "cli", "demo")) + [
        PACKAGE / name for name in ("jobs.py", "scheduler.py", "__init__.py", "settings.py")]
    for path in callers:
        for name in imports_of(path):
            parts = name.split(".")
            if parts[:2] == ["tracker", "services"] and len(parts) >= 4 and parts[2] in entries:
                if parts[3] not in entries[parts[2]] and not parts[3][:1].isupper():
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
    assert sorted(set(found)) == []


# Flask in services: only template rendering (the mail's bodies) and the login manager.
FLASK_IN_SERVICES = {"tracker.services.mail.render": {"flask.render_template"},
                     "tracker.services.reminders.render": {"flask.render_template"}}


def test_services_take_settings_as_arguments():
    found = []
    for name, path in _service_modules().items():
        allowed = FLASK_IN_SERVICES.get(name, set())
        for imported in imports_of(path):
            if imported.split(".")[0] in ("flask", "flask_login", "flask_wtf") \
                    and imported not in allowed and imported != "flask":
                found.append(f"{path.relative_to(ROOT)} imports {imported}")
            if imported == "flask" and not allowed:
                found.append(f"{path.relative_to(ROOT)} imports flask")
    assert sorted(set(found)) == []


def test_writes_open_their_transaction_through_tx():
    """Every write's transaction is ``tx.write()`` (services, jobs, CLI, demo data); a bare
    ``database.atomic()`` exists only in tx itself (and the models' own helpers)."""
    found = []
    for path in list(files("services", "web", "cli", "demo")) + [PACKAGE / "jobs.py",
                                                                  PACKAGE / "scheduler.py"]:
        if path == SERVICES / "tx.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr in ("atomic", "transaction")
                    and isinstance(node.value, ast.Name) and node.value.id == "database"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
