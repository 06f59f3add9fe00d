"""Small modules named for what they hold: at most 400 lines per module and 50 lines per
function in tracker/ (docs/design.md, Layers). The size is a signal, not a place to cut: a
module that is one coherent thing may stay longer when it is named below with the reason."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
# path -> why this module stays whole although it is longer than MAX_MODULE_LINES
LONG_MODULES = {}


def _sources():
    return sorted((ROOT / "tracker").rglob("*.py"))


def _lines(path):
    return len(path.read_text(encoding="utf-8").splitlines())


def long_modules(root, exceptions):
    return {str(p.relative_to(root)): n for p in sorted((root / "tracker").rglob("*.py"))
            if (n := _lines(p)) > MAX_MODULE_LINES and str(p.relative_to(root)) not in exceptions}


def test_modules_are_small():
    assert long_modules(ROOT, LONG_MODULES) == {}


def test_the_size_rule_sees_a_long_module_unless_it_is_named(tmp_path):
    (tmp_path / "tracker").mkdir()
    (tmp_path / "tracker" / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    assert long_modules(tmp_path, {}) == {"tracker/big.py": MAX_MODULE_LINES + 1}
    assert long_modules(tmp_path, {"tracker/big.py": "one table of rules"}) == {}


def test_every_named_exception_is_still_long_and_says_why():
    for path, why in LONG_MODULES.items():
        assert _lines(ROOT / path) > MAX_MODULE_LINES, f"{path} fits again: drop it from the list"
        assert why.strip(), path


def test_functions_are_short():
    long = {}
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = lines
    assert long == {}
