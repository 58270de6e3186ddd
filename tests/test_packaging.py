"""A normal `pip install .`: the wheel carries every file of the package and the seeds, declares every
library the code imports, and serves the seeds when installed in a fresh venv.

The wheel is built from a `git archive` of HEAD, as a platform or PyPI would get the project, plus
probe files standing for data files added later (an icon, a word list, a nested template): they
must ship without anyone listing them in pyproject.toml.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from checkout import export_head
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from server import Server

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(ROOT.glob("seeds/*.txt"))
TAG = "tag:kontumtv.vn,2021:article:"
PROBES = {
    "feedsvc/web/static/icons/probe.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    "feedsvc/articles/probe-words.txt": "probe\n",
    "feedsvc/web/templates/partials/probe.html": "<p>probe</p>\n",
}


def git_files(*paths: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--", *paths],
                         capture_output=True, check=True).stdout.decode()
    return [name for name in out.split("\0") if name]


def fresh_venv(path: Path) -> Path:
    """A venv with nothing in it (not even pip: the test's pip installs into it); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path / "bin" / "python"


def pip_into(python: Path, *args: str) -> None:
    # This interpreter's pip, aimed at the venv (pip >= 22.3), with pip's usual cache.
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                           "--disable-pip-version-check", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = export_head(tmp_path_factory.mktemp("wheel") / "src")
    for name, text in PROBES.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text, encoding="utf-8")
    out = source.parent / "dist"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                           "--wheel-dir", str(out), str(source)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("feedsvc-*.whl")
    return built


@pytest.mark.e2e
def test_the_wheel_carries_every_file_of_the_package_and_the_seeds(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set(git_files("feedsvc")) | {f"feedsvc/seeds/{path.name}" for path in SEEDS} | set(PROBES)
    missing = sorted(expected - names)
    packages = sorted({str(Path(name).parent).replace("/", ".") for name in missing if name.endswith(".py")})
    assert not missing, (f"the wheel lacks {missing}" + (f"; add {packages} to [tool.setuptools].packages in "
                                                         "pyproject.toml" if packages else ""))
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


@pytest.mark.e2e  # git, every module of the package and every installed distribution
def test_every_library_the_code_imports_is_a_declared_dependency():
    declared = {canonicalize_name(Requirement(dep).name)
                for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    distributions = packages_distributions()
    imported: dict[str, set[str]] = {}
    for name in git_files("feedsvc"):
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse((ROOT / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top != "feedsvc" and top not in sys.stdlib_module_names:
                    imported.setdefault(top, set()).add(name)
    assert imported, "no third-party import found: the scan is broken"
    undeclared = {}
    for top, files in imported.items():
        owners = {canonicalize_name(dist) for dist in distributions.get(top, [])}
        if not owners & declared:
            undeclared[top] = {"imported by": sorted(files), "installed from": sorted(owners)}
    assert not undeclared, f"imported but not in [project].dependencies {sorted(declared)}: {undeclared}"


@pytest.mark.e2e
def test_a_checkout_serves_its_top_level_seeds():
    # `pip install -e . && feedsvc serve` (the README's first command) reads seeds/ where it is.
    from feedsvc import settings

    assert settings.BUNDLED_SEEDS == ROOT / "seeds"
    assert settings.load({})["CORPUS_DIR"] == str(ROOT / "seeds")





@pytest.mark.e2e
def test_the_installed_wheel_serves_the_bundled_seeds(wheel, tmp_path):
    assert SEEDS, "seeds/ is empty"
    python = fresh_venv(tmp_path / "venv")
    pip_into(python, str(wheel))
    elsewhere = tmp_path / "elsewhere"  # outside the checkout: nothing can come from it
    elsewhere.mkdir()
    env = {"PATH": f"{python.parent}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "XDG_RUNTIME_DIR": str(tmp_path), "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"}
    where = subprocess.run([str(python), "-c", "from feedsvc import settings; print(settings.BUNDLED_SEEDS)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), where
    assert sorted(path.name for path in Path(where).glob("*.txt")) == [path.name for path in SEEDS]

    with Server(tmp_path / "logs", env, workers=None, command=shlex.quote(str(python.parent / "feedsvc")) + " serve",
                cwd=elsewhere, inherit_env=False) as server:
        port = server.port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds/all.json", timeout=10) as response:
            items = json.load(response)["items"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/site.css", timeout=10) as response:
            assert response.status == 200 and response.read()
    assert sorted(item["id"] for item in items) == sorted(TAG + path.stem for path in SEEDS)
