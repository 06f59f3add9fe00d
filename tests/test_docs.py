"""The docs stay true: a short README with the two commands, a configuration table that
names exactly the settings of tracker.config.Defaults, and relative links that resolve."""
import pathlib
import re

from tracker.config import Defaults

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
MAX_README_LINES = 250

# A setting in the table's first column: exactly one backticked UPPER_CASE name, e.g. `MAIL_PORT`.
SETTING_CELL = re.compile(r"`([A-Z][A-Z0-9_]*)`")
TABLE_SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
MD_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, ...


def _text(path):
    return path.read_text(encoding="utf-8")


# (a) README -----------------------------------------------------------------------------

def test_readme_is_short():
    lines = len(_text(README).splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines (at most {MAX_README_LINES})"


def test_readme_has_the_two_commands():
    text = _text(README)
    assert "make run" in text
    assert "make test" in text
    makefile = _text(ROOT / "Makefile")
    for target in ("run", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no '{target}' target"


# (b) configuration table ----------------------------------------------------------------

def _table_rows(text):
    """First cells of every data row of every Markdown table (header and separator skipped)."""
    cells, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("|") or TABLE_SEPARATOR.match(stripped):
            continue
        is_header = i + 1 < len(lines) and TABLE_SEPARATOR.match(lines[i + 1].strip())
        if not is_header:
            cells.append(stripped.strip("|").split("|")[0].strip())
    return cells


def documented_settings(text):
    """Setting names of the table(s); a first cell that is not exactly one backticked
    UPPER_CASE name is returned among the unrecognised cells."""
    names, unrecognised = [], []
    for cell in _table_rows(text):
        match = SETTING_CELL.fullmatch(cell)
        if match:
            names.append(match.group(1))
        else:
            unrecognised.append(cell)
    return names, unrecognised


def default_settings():
    return {name for name in vars(Defaults) if name.isupper() and not name.startswith("_")}


def test_configuration_table_names_every_setting_of_defaults():
    names, unrecognised = documented_settings(_text(CONFIGURATION))
    assert unrecognised == [], "first cells that are not one `SETTING` name"
    assert len(names) == len(set(names)), "a setting listed twice"
    defaults = default_settings()
    assert defaults - set(names) == set(), "settings of Defaults missing from the table"
    assert set(names) - defaults == set(), "names in the table that Defaults does not have"


# (c) relative links ---------------------------------------------------------------------

def _doc_files():
    return [README, *sorted(DOCS.rglob("*.md"))]


def _slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = CODE_SPAN.sub(lambda m: m.group(0).strip("`"), heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path):
    text = FENCE.sub("", _text(path))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M)}


def relative_links(text):
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = [m.group(1) for m in MD_LINK.finditer(text)]
    targets += [m.group(1) for m in HTML_LINK.finditer(text)]
    return [t for t in targets if not EXTERNAL.match(t)]


def broken_links(path):
    broken = []
    for target in relative_links(_text(path)):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(target)
    return broken


def test_relative_links_point_at_existing_files():
    files = _doc_files()
    assert README in files and CONFIGURATION in files
    broken = {str(p.relative_to(ROOT)): b for p in files if (b := broken_links(p))}
    assert broken == {}


def test_the_link_checker_sees_links():
    assert relative_links("[a](docs/x.md) `[b](no.md)` <img src=\"y.png\"> [c](https://e.org)") \
        == ["docs/x.md", "y.png"]
    assert broken_links(README) == [] and relative_links(_text(README))
