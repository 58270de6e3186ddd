"""Imports point one way: web -> publishing -> corpus -> articles; only web speaks HTTP."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "feedsvc"
WEB_ONLY = {"flask", "werkzeug", "jinja2", "gunicorn"}
# What each layer of the core may import from the project (besides itself), top to bottom.
ALLOWED = {
    "articles": set(),
    "corpus": {"articles"},
    "publishing": {"corpus", "articles"},
}
FEEDGEN_USERS = {"xml.py", "rss.py", "atom.py"}


def _modules(part: str):
    return sorted((PACKAGE / part).rglob("*.py"))


@functools.cache
def _imports(path: Path) -> tuple[str, ...]:
    """The modules one file imports; each file is parsed once for all the tests."""
    return tuple(_imported(ast.parse(path.read_text("utf-8"))))


def _imported(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "feedsvc":
            yield from ("feedsvc." + alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_core_never_imports_the_web_layer_or_reads_the_environment(part):
    assert _modules(part), part
    for path in _modules(part):
        source = path.read_text("utf-8")
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in WEB_ONLY, f"{path.name} imports {name}"
            if top == "feedsvc":
                inner = name.split(".")[1] if "." in name else ""
                assert inner in ALLOWED[part] | {part}, f"{path.name} imports {name}"
        assert "os.environ" not in source and "current_app" not in source, path.name


def test_feedgen_is_imported_by_the_xml_formats_only():
    users = {p.name for p in PACKAGE.rglob("*.py") if any(n.startswith("feedgen") for n in _imports(p))}
    assert users == FEEDGEN_USERS


def test_no_module_is_left_beside_the_layers_but_the_entry_points():
    loose = {p.name for p in PACKAGE.glob("*.py")}
    # The entry points (report.py is `feedsvc check`'s editor's report).
    assert loose == {"__init__.py", "__main__.py", "cli.py", "check.py", "report.py", "build.py", "settings.py"}
