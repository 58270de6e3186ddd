"""Imports point one way: web -> feeds/cache/repository -> articles; only web speaks HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "feedsvc"
WEB_ONLY = {"flask", "werkzeug", "jinja2", "gunicorn"}
CORE = ["articles", "feeds", "cache", "files", "repository", "store", "publish", "reloader"]
# What each part of the core may import from the project (besides itself).
ALLOWED = {
    "articles": set(),
    "store": {"articles"},
    "files": {"articles", "store"},
    "repository": {"articles", "store", "files"},
    "feeds": {"articles"},
    "cache": set(),
    "publish": {"feeds", "cache", "repository", "articles", "store", "files"},
    "reloader": {"cache", "repository", "articles", "store", "files"},
}


def _modules(part: str):
    path = PACKAGE / part
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imports(path: Path):
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "feedsvc":
            yield from ("feedsvc." + alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("part", CORE)
def test_core_never_imports_the_web_layer_or_reads_the_environment(part):
    for path in _modules(part):
        source = path.read_text("utf-8")
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in WEB_ONLY, f"{path.name} imports {name}"
            if top == "feedsvc":
                inner = name.split(".")[1] if "." in name else ""
                assert inner in ALLOWED[part] | {part}, f"{path.name} imports {name}"
        assert "os.environ" not in source and "current_app" not in source, path.name


def test_feedgen_is_imported_by_feeds_only():
    users = {p.name for p in PACKAGE.rglob("*.py") if any(n.startswith("feedgen") for n in _imports(p))}
    assert users == {"feeds.py"}
